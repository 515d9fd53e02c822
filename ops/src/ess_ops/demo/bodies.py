"""The JSON bodies the demo sends, built from its data as each service's API takes them: intake's
submission in euros, funding's acts in integer cents. Every act is dated today: a funding act may not
precede its project's submission, which is today's."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ess_contracts.types import Pilot
from ess_ops.demo import identifiers
from ess_ops.demo.model import Grant, Network, Project
from ess_ops.demo.projects import eligible_total, self_financing

CONTACTS = (
    "Claire Martin",
    "Yann Le Goff",
    "Sophie Bernard",
    "Karim Benali",
    "Élodie Moreau",
    "Thomas Guérin",
    "Nathalie Rousseau",
    "Mathieu Pichon",
    "Aïcha Diallo",
    "Julien Chevalier",
)
PHONE_PREFIX = {"44": "40", "49": "41", "53": "43", "72": "43", "85": "51"}
PROGRAMMES: dict[Pilot, str] = {"region": "AAP-ESS-2026", "state": "FDI-2026", "bdt": "PRETS-ESS"}
COMMITMENT_PREFIX: dict[Pilot, str] = {"region": "CP", "state": "EJ", "bdt": "BDT"}


def cents(euros: int) -> int:
    return euros * 100


def network(n: Network) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network_id": n.network_id,
        "name": n.name,
        "stages": list(n.stages),
        "needs": list(n.needs),
        "departments": list(n.departments),
    }
    if n.account:
        body["account"] = n.account
    return body


def submission(p: Project, today: date) -> dict[str, Any]:
    h = p.holder
    organisation: dict[str, Any] = {
        "name": h.name,
        "legal_form": h.legal_form,
        "department": h.department,
        "being_created": h.being_created,
        "esus_agreement": h.esus,
    }
    if not h.being_created:
        organisation["siret"] = identifiers.siret(h.seed)
    if h.association_number:
        organisation["rna"] = identifiers.rna(h.department, h.seed)
    if h.epci_siren:
        organisation["epci_siren"] = h.epci_siren
    name = h.contact or CONTACTS[h.seed % len(CONTACTS)]
    start = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    return {
        "organisation": organisation,
        "contact": {"name": name, "email": _email(name), "phone": _phone(h.department, h.seed)},
        "project": {
            "title": p.title,
            "description": p.description,
            "stage": p.stage,
            "third_place": p.third_place,
            "needs": list(p.needs),
            "budget": {
                "total": str(p.total),
                "lines": [{"label": x.label, "category": x.category, "amount": x.euros} for x in p.lines],
            },
            "planned_jobs": p.planned_jobs,
            "start_on": start.isoformat(),
        },
    }


def _email(name: str) -> str:
    plain = name.lower().translate(str.maketrans("éèëêïîàâôùç", "eeeeiiaaouc")).replace(" ", ".")
    return f"{plain}@example.org"


def _phone(department: str, seed: int) -> str:
    return f"02 {PHONE_PREFIX[department]} {seed % 100:02d} {(seed * 7) % 100:02d} {(seed * 13) % 100:02d}"


def siren(p: Project) -> str | None:
    return None if p.holder.being_created else identifiers.siren(p.holder.seed)


def request(g: Grant, today: date) -> dict[str, Any]:
    return {
        "request_id": f"demande-{g.pilot}",
        "requested_on": today.isoformat(),
        "instrument": g.instrument,
        "amount": cents(g.euros),
        "programme": PROGRAMMES[g.pilot],
    }


def opinion(p: Project, pilot: Pilot, today: date) -> dict[str, Any]:
    """The lead funder's shared opinion: the eligible budget (its first line cut when the instruction
    kept less than was asked), the holder's own share."""
    cut = p.total - eligible_total(p)
    lines = [
        {"code": f"L{i}", "category": x.category, "eligible_amount": cents(x.euros - (cut if i == 1 else 0))}
        for i, x in enumerate(p.lines, start=1)
    ]
    return {
        "opinion_id": f"avis-{pilot}",
        "given_on": today.isoformat(),
        "outcome": "favourable",
        "eligible_total": cents(eligible_total(p)),
        "eligible_lines": lines,
        "self_financing": cents(self_financing(p)),
        "in_kind": 0,
        "remark": "Projet examiné en comité technique : modèle économique crédible, ancrage local fort.",
    }


def decision(p: Project, g: Grant, today: date, basis: str | None = None) -> dict[str, Any]:
    """A grant is de minimis aid to the holder; a loan or equity at market terms is no state aid."""
    body: dict[str, Any] = {
        "decision_id": f"decision-{g.pilot}",
        "request_id": f"demande-{g.pilot}",
        "decided_on": today.isoformat(),
        "outcome": g.outcome,
        "instrument": g.instrument,
    }
    if g.outcome == "refused":
        return body | {"nominal_amount": 0, "gross_grant_equivalent": 0}
    basis = basis or ("de_minimis_general" if g.instrument == "grant" else "not_state_aid")
    body |= {
        "nominal_amount": cents(g.euros),
        "gross_grant_equivalent": cents(g.euros) if g.instrument == "grant" else 0,
        "state_aid_basis": basis,
        "legal_right_on": today.isoformat(),
        "beneficiary_siren": siren(p),
    }
    if basis == "block_exemption":
        body["scheme_reference"] = "SA.111726"
    if g.outcome == "conditional":
        body["conditions"] = [
            {
                "kind": "cofunding_confirmed",
                "detail": "Confirmation du cofinancement de la communauté de communes.",
                "due_on": (today + timedelta(days=90)).isoformat(),
            }
        ]
    return body


def commitment(p: Project, g: Grant, today: date) -> dict[str, Any]:
    return {
        "commitment_id": f"engagement-{g.pilot}",
        "decision_id": f"decision-{g.pilot}",
        "committed_on": today.isoformat(),
        "reference": f"{COMMITMENT_PREFIX[g.pilot]}-{today.year}-{p.holder.seed:04d}",
        "amount": cents(g.euros),
    }


def tranches(g: Grant, today: date) -> list[dict[str, Any]]:
    """Two tranches: 60 % at the signature of the agreement, the rest on the final report."""
    first = cents(g.euros) * 60 // 100
    return [
        {
            "tranche_id": f"echeance-{g.pilot}-1",
            "commitment_id": f"engagement-{g.pilot}",
            "due_on": today.isoformat(),
            "amount": first,
            "trigger": "on_signature",
        },
        {
            "tranche_id": f"echeance-{g.pilot}-2",
            "commitment_id": f"engagement-{g.pilot}",
            "due_on": (today + timedelta(days=365)).isoformat(),
            "amount": cents(g.euros) - first,
            "trigger": "on_final_report",
        },
    ]


def disbursement(g: Grant, today: date) -> dict[str, Any]:
    """The first tranche, paid."""
    return {
        "disbursement_id": f"versement-{g.pilot}-1",
        "commitment_id": f"engagement-{g.pilot}",
        "tranche_id": f"echeance-{g.pilot}-1",
        "paid_on": today.isoformat(),
        "amount": cents(g.euros) * 60 // 100,
    }


def prior_aids(p: Project, today: date) -> dict[str, Any]:
    """The holder's declaration of de minimis aid received in the last three years: EUR 280,000, so
    any further de minimis grant above EUR 20,000 crosses the EUR 300,000 ceiling of (EU) 2023/2831."""
    recipient = siren(p)
    aids = (
        ("region-2024", "region", 120_000, 700),
        ("dept-2025", "departement", 100_000, 400),
        ("epci-2025", "epci", 60_000, 200),
    )
    return {
        "declared_on": today.isoformat(),
        "beneficiary_siren": recipient,
        "prior_aids": [
            {
                "aid_ref": ref,
                "recipient_siren": recipient,
                "grantor": grantor,
                "basis": "de_minimis_general",
                "gross_grant_equivalent": cents(euros),
                "legal_right_on": (today - timedelta(days=days_ago)).isoformat(),
            }
            for ref, grantor, euros, days_ago in aids
        ],
    }
