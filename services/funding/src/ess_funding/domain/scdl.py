"""A pilot's subsidies as open data, in the national SCDL "subventions" format (version 2.1.1).

One row per beneficiary of a decision: a grant this pilot decided (granted or conditional, not cancelled),
dated by its convention (the first commitment, or the decision while none). Everything comes from
structured data: the object is the project's stage and objective and the shares of every funder of the
plan, never free text. A row that could name a person, or that the format cannot describe, is withheld
with its reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ess_contracts.funding import DE_MINIMIS_BASES
from ess_contracts.intake import LEGAL_PERSON_FORMS
from ess_contracts.reference import objective
from ess_contracts.reference.labels import PILOT_SHORT_NAMES, STAGES

SCDL_VERSION = "2.1.1"
COLUMNS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
OBJECT_MAX = 256


@dataclass(frozen=True)
class Grantor:
    """The pilot as the format names it: its official name and SIRET (configured per pilot)."""

    name: str
    siret: str


@dataclass(frozen=True)
class Holder:
    """The project's holder and what the strategy made of the project, as every pilot's view holds it."""

    legal_form: str | None
    name: str | None
    siret: str | None
    rna: str | None
    stage: str
    objectives: tuple[str, ...]


@dataclass(frozen=True)
class Award:
    """One grant decision of the pilot with what followed it: commitments, tranches, payments."""

    project_id: str
    decision_id: str
    decided_on: date
    amount: int  # cents
    state_aid_basis: str | None
    commitments: tuple[tuple[date, str], ...] = ()  # (committed_on, reference), in date order
    tranche_days: tuple[date, ...] = ()
    paid_days: tuple[date, ...] = ()

    @property
    def convention_on(self) -> date:
        return self.commitments[0][0] if self.commitments else self.decided_on


@dataclass(frozen=True)
class Withheld:
    project_id: str
    decision_id: str
    reason: str  # French: read by the pilot's staff who publish the file


Row = dict[str, str]


def subsidy_row(grantor: Grantor, holder: Holder, award: Award, shares: dict[str, int]) -> Row | Withheld:
    """The row for `award`, or why it is withheld. `shares`: each funder's granted cents on the plan."""
    reason = _withheld_because(holder)
    if reason is not None:
        return Withheld(award.project_id, award.decision_id, reason)
    assert holder.name is not None
    return {
        "nomAttribuant": grantor.name,
        "idAttribuant": grantor.siret,
        "dateConvention": award.convention_on.isoformat(),
        "referenceDecision": award.commitments[0][1] if award.commitments else award.decision_id,
        "nomBeneficiaire": holder.name,
        "idBeneficiaire": holder.siret or "",
        "rnaBeneficiaire": holder.rna or "",
        "objet": subsidy_object(holder, shares),
        "montant": euros(award.amount),
        "nature": "aide en numéraire",
        "conditionsVersement": "échelonné" if len(award.tranche_days) > 1 else "unique",
        "datesPeriodeVersement": payment_period(award),
        "idRAE": "",
        "notificationUE": "oui" if award.state_aid_basis in DE_MINIMIS_BASES else "non",
        "pourcentageSubvention": "1.00",  # one beneficiary per decision: it receives the whole of it
        "dispositifAide": "",
    }


def _withheld_because(holder: Holder) -> str | None:
    if holder.legal_form is not None and holder.legal_form not in LEGAL_PERSON_FORMS:
        return "le porteur peut être une personne physique (forme « autre ») : il n'est pas publié"
    if holder.name is None:
        return "le nom du porteur n'est pas connu des financeurs (dossier déposé avant qu'il ne soit partagé)"
    if holder.siret is None and holder.rna is None:
        return "le porteur n'a ni SIRET ni numéro RNA (structure en création)"
    return None


def subsidy_object(holder: Holder, shares: dict[str, int]) -> str:
    """Stage, first objective and the plan's funders with their shares, within the format's 256
    characters (the objective's title is shortened first)."""
    stage = f"Projet de {STAGES.get(holder.stage, holder.stage)}"
    funders = _funder_shares(shares)
    if not holder.objectives:
        return _fit(f"{stage} ; {funders}")
    first = objective(holder.objectives[0])
    head, tail = f"{stage} – {first.code} ", f" ; {funders}"
    room = OBJECT_MAX - len(head) - len(tail)
    title = first.title if len(first.title) <= room else first.title[: max(room - 1, 0)].rstrip() + "…"
    return _fit(head + title + tail)


def _funder_shares(shares: dict[str, int]) -> str:
    total = sum(shares.values())
    parts = [
        f"{PILOT_SHORT_NAMES.get(pilot, pilot)} {round(100 * cents / total)} %"
        for pilot, cents in sorted(shares.items(), key=lambda item: (-item[1], item[0]))
        if total
    ]
    label = "financement partagé" if len(parts) > 1 else "financeur unique"
    return f"{label} : {', '.join(parts)}"


def _fit(text: str) -> str:
    return text if len(text) <= OBJECT_MAX else text[: OBJECT_MAX - 1] + "…"


def payment_period(award: Award) -> str:
    """The payments' dates when known, else the tranches' due dates, else the convention's date: one
    day for a single one, `first/last` for several."""
    days = sorted(award.paid_days or award.tranche_days or (award.convention_on,))
    first, last = days[0], days[-1]
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def euros(cents: int) -> str:
    """Euros with a point and two decimals, as the format writes amounts."""
    whole, rest = divmod(cents, 100)
    return f"{whole}.{rest:02d}"
