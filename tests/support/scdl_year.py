"""A generated year of grants, as events: holders of every kind, decisions by the three pilots, some
cancelled, commitments dated either side of the new year, tranches and payments; with what the region's
SCDL file must then hold, worked out from the generator's own choices."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ess_contracts import funding as f
from ess_contracts import intake
from ess_contracts.event import Event
from ess_contracts.reference import objectives_for
from ess_contracts.types import Pilot
from tests.support import events as ev
from tests.support.funding_story import decision
from tests.support.sirens import siret_from

YEAR = 2026
CITIES = ("Nantes", "Angers", "Laval", "Le Mans", "La Roche-sur-Yon", "Saint-Nazaire", "Cholet", "Saumur")
KINDS = ("Association", "SCOP", "SCIC", "Fondation", "Mutuelle")
NOUNS = (
    "Jardins partagés",
    "Recyclerie",
    "Épicerie solidaire",
    "Tiers-lieu",
    "Atelier vélo",
    "Café associatif",
)
FORMS: dict[str, intake.LegalForm] = {
    "Association": "association",
    "SCOP": "scop",
    "SCIC": "scic",
    "Fondation": "foundation",
    "Mutuelle": "mutual",
}
STAGES: tuple[intake.ProjectStage, ...] = (
    "creation_or_takeover",
    "development_or_scale_up",
    "consolidation",
    "social_innovation",
    "collective_project",
)


@dataclass
class Year:
    """The events, and for the region's file: the decisions to publish and those to withhold."""

    events: list[Event] = field(default_factory=list)
    published: set[str] = field(default_factory=set)  # the file's referenceDecision
    withheld: set[str] = field(default_factory=set)  # decision ids
    shared: dict[str, str] = field(default_factory=dict)  # region's reference -> state's, both published
    sequences: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def add(self, payload: object, pilot: Pilot, service: str, project_id: str) -> None:
        key = (pilot, service, project_id)
        self.sequences[key] = self.sequences.get(key, 0) + 1
        self.events.append(ev.event(payload, pilot, service, project_id, self.sequences[key]))


def generated_year(projects: int, seed: int = 2026) -> Year:
    rnd, year = random.Random(seed), Year()
    for n in range(projects):
        _project(year, rnd, n)
    return year


def _holder(rnd: random.Random, n: int) -> intake.Organisation:
    """Mostly legal persons with a SIRET, some associations with their RNA number only (declared, no SIRET
    yet); one in 20 of form 'other' (maybe a sole trader), one in 20 an association being created, with
    neither SIRET nor RNA."""
    kind = KINDS[n % len(KINDS)]
    form = FORMS[kind]
    name = f"{kind} {rnd.choice(NOUNS)} de {rnd.choice(CITIES)}"
    if n % 20 == 7:
        return intake.Organisation(siret=siret_from(n), legal_form="other", department="44")
    if n % 20 == 13:
        return intake.Organisation(name=name, being_created=True, legal_form="association", department="49")
    rna = f"W{440_000_000 + n}" if form == "association" and n % 2 else None
    siret = None if rna and n % 4 == 1 else siret_from(n)
    return intake.Organisation(
        name=name, siret=siret, rna=rna, being_created=siret is None, legal_form=form, department="85"
    )


def _project(year: Year, rnd: random.Random, n: int) -> None:
    pid, org = f"prj-{n:05d}", _holder(rnd, n)
    stage, third_place = STAGES[n % len(STAGES)], n % 6 == 0
    submitted = ev.submitted().model_copy(
        update={
            "organisation": org,
            "project": ev.submitted().project.model_copy(update={"stage": stage, "third_place": third_place}),
        }
    )
    year.add(submitted, "region", "intake", pid)
    objectives = objectives_for(stage, third_place, epci=False)
    year.add(
        intake.ProjectQualified(
            qualified_on=date(YEAR - 1, 12, 1), objectives=objectives, department="85", eligible=True
        ),
        "region",
        "intake",
        pid,
    )
    decided_on = date(YEAR, 1, 1) + timedelta(days=rnd.randrange(-40, 365))
    region = _grant(year, rnd, "region", org, pid, decided_on, cancel=n % 25 == 3)
    decision_id, reference, convention_on = region
    if convention_on.year != YEAR:
        return
    if n % 25 == 3 or org.name is None or (org.siret is None and org.rna is None):
        year.withheld.add(decision_id)
        return
    year.published.add(reference)
    if n % 5 == 0:
        _, state_reference, state_on = _grant(year, rnd, "state", org, pid, decided_on + timedelta(days=3))
        if state_on.year == YEAR:
            year.shared[reference] = state_reference
    if n % 7 == 0:  # a loan: on the plan, in the funders' shares, never a subsidy
        loan = decision(f"{pid}-bdt", 20_000_00, decided_on, instrument="loan", **_aid(org))
        year.add(loan, "bdt", "funding", pid)


def _aid(org: intake.Organisation) -> dict[str, object]:
    """De minimis aid to the holder's undertaking where it has a SIREN; outside state aid otherwise."""
    if org.siret is None:
        return {"state_aid_basis": "not_state_aid", "beneficiary_siren": None}
    return {"beneficiary_siren": org.siret[:9]}


def _grant(
    year: Year,
    rnd: random.Random,
    pilot: Pilot,
    org: intake.Organisation,
    pid: str,
    on: date,
    *,
    cancel: bool = False,
) -> tuple[str, str, date]:
    """A grant of `pilot`, committed four times in five (10 to 60 days later, so some conventions fall in
    the next year) in one to three tranches, the first paid half the time; returns its id, the reference
    the file shows and the convention's date."""
    decision_id = f"{pid}-{pilot}"
    amount = rnd.randrange(5_000, 80_000) * 100
    year.add(decision(decision_id, amount, on, **_aid(org)), pilot, "funding", pid)
    if cancel:
        year.add(
            f.ProjectDecisionCancelled(
                decision_id=decision_id, cancelled_on=on, reason="beneficiary_withdrew"
            ),
            pilot,
            "funding",
            pid,
        )
    if rnd.random() >= 0.8:
        return decision_id, decision_id, on
    committed_on, reference = on + timedelta(days=rnd.randrange(10, 60)), f"CP-{pid}-{pilot}"
    commitment_id = f"c-{decision_id}"
    year.add(
        f.ProjectCommitmentRecorded(
            commitment_id=commitment_id,
            decision_id=decision_id,
            committed_on=committed_on,
            reference=reference,
            amount=amount,
        ),
        pilot,
        "funding",
        pid,
    )
    tranches = rnd.randrange(1, 4)
    for t in range(tranches):
        due_on = committed_on + timedelta(days=90 * t)
        tranche = f.ProjectTrancheScheduled(
            tranche_id=f"t{t}-{decision_id}",
            commitment_id=commitment_id,
            due_on=due_on,
            amount=amount // tranches,
            trigger="on_signature" if t == 0 else "on_progress_report",
        )
        year.add(tranche, pilot, "funding", pid)
    if rnd.random() < 0.5:
        paid = f.ProjectDisbursementRecorded(
            disbursement_id=f"p-{decision_id}",
            commitment_id=commitment_id,
            tranche_id=f"t0-{decision_id}",
            paid_on=committed_on + timedelta(days=5),
            amount=amount // tranches,
        )
        year.add(paid, pilot, "funding", pid)
    return decision_id, reference, committed_on
