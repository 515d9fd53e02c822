"""A two-year story of six projects as intake and three funders publish it, for evaluation's tests.

Built only from the shared contracts (never the evaluation service's code). Each issuer's sequence is
numbered as its service would. Every project is the region's (its intake submits it), so its id is
`region-pa`...`region-pf`. What the story contains, by project (dates are the events' own):

- pa: submitted 2024-02-05 (44, creation, third place), qualified O1+O14, oriented; state grant 30k and bdt
  loan 50k committed in 2024 (first 2024-04-20); opinion: eligible 100k, self 10k, in kind 5k, plus a
  granted 5k co-funder line: fully funded. Disbursed 15k in 2024 and 15k in 2025.
- pb: submitted 2024-09-10 (49, scale-up), qualified O2; region grant decided 2024-11-15, committed
  2025-01-20.
- pc: submitted 2025-01-15 (85, consolidation, EPCI partner), qualified O3+O13, oriented; state's
  conditional 40k committed 2025-04-01 then cancelled 2025-10-01; bdt repayable advance 10k committed
  2025-06-01; opinion: eligible 60k, self 5k: not fully funded.
- pd: submitted 2025-03-03 (44), qualified ineligible; region refused 2025-04-14.
- pe: submitted 2025-05-05 (72), corrected to 53 with 2 jobs, qualified O1 in 53, oriented; region honour
  loan 8k committed 2025-07-15 and paid.
- pf: submitted 2025-11-20 (44); state request dated 2026-01-05.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from ess_contracts import funding as fu
from ess_contracts import intake as it
from ess_contracts.base import Payload
from ess_contracts.event import Event, new_event
from ess_contracts.types import Pilot
from tests.support.events import sealed_title

SIRET = "73282932000074"  # Luhn-valid
SIREN = SIRET[:9]
EPCI = "200067106"  # Luhn-valid SIREN
D = date


class Story:
    """Events in the order issued, each issuer's sequence numbered as its outbox would."""

    def __init__(self) -> None:
        self.events: list[tuple[Pilot, Event]] = []
        self._sequences: dict[tuple[str, str, str], int] = defaultdict(int)
        self._clock = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)

    def add(self, pilot: Pilot, service: str, project_id: str, payload: Payload) -> Event:
        key = (pilot, service, project_id)
        self._sequences[key] += 1
        self._clock += timedelta(seconds=1)
        event = new_event(
            payload,
            pilot=pilot,
            service=service,  # type: ignore[arg-type]
            aggregate_id=project_id,
            sequence=self._sequences[key],
            occurred_at=self._clock,
        )
        self.events.append((pilot, event))
        return event


def submission(
    on: date, department: str, stage: str, jobs: int, *, third_place: bool = False, epci: bool = False
) -> it.ProjectSubmitted:
    return it.ProjectSubmitted(
        submitted_on=on,
        channel="holder",
        organisation=_organisation(department, epci),
        project=_details(stage, jobs, third_place),
    )


def _organisation(department: str, epci: bool) -> it.Organisation:
    return it.Organisation(
        siret=SIRET,
        legal_form="scic",
        department=department,
        epci_siren=EPCI if epci else None,  # type: ignore[arg-type]
    )


def _details(stage: str, jobs: int, third_place: bool) -> it.ProjectDetails:
    return it.ProjectDetails(
        title=sealed_title(f"Projet {stage}"),
        stage=stage,  # type: ignore[arg-type]
        third_place=third_place,
        needs=("funding",),
        budget=it.Budget(
            total=100_000_00, lines=(it.BudgetLine(code="staff", category="staff", amount=100_000_00),)
        ),
        planned_jobs=jobs,
        start_on=D(2025, 9, 1),
    )


def qualified(on: date, objectives: tuple[str, ...], department: str) -> it.ProjectQualified:
    return it.ProjectQualified(qualified_on=on, objectives=objectives, department=department, eligible=True)  # type: ignore[arg-type]


def requested(request_id: str, on: date, instrument: str, amount: int) -> fu.ProjectFundingRequested:
    return fu.ProjectFundingRequested(
        request_id=request_id, requested_on=on, instrument=instrument, amount=amount
    )  # type: ignore[arg-type]


def decided(
    decision_id: str,
    on: date,
    instrument: str,
    amount: int,
    *,
    gge: int | None = None,
    outcome: str = "granted",
) -> fu.ProjectDecisionRecorded:
    if outcome == "refused":
        return fu.ProjectDecisionRecorded(
            decision_id=decision_id,
            request_id=f"r-{decision_id}",
            decided_on=on,
            outcome="refused",
            instrument=instrument,  # type: ignore[arg-type]
            nominal_amount=0,
            gross_grant_equivalent=0,
        )
    conditions = (fu.Condition(kind="cofunding_confirmed"),) if outcome == "conditional" else ()
    return fu.ProjectDecisionRecorded(
        decision_id=decision_id,
        request_id=f"r-{decision_id}",
        decided_on=on,
        outcome=outcome,  # type: ignore[arg-type]
        instrument=instrument,  # type: ignore[arg-type]
        nominal_amount=amount,
        gross_grant_equivalent=amount if gge is None else gge,
        state_aid_basis="de_minimis_general",
        legal_right_on=on,
        beneficiary_siren=SIREN,
        conditions=conditions,
    )


def committed(commitment_id: str, decision_id: str, on: date, amount: int) -> fu.ProjectCommitmentRecorded:
    return fu.ProjectCommitmentRecorded(
        commitment_id=commitment_id,
        decision_id=decision_id,
        committed_on=on,
        reference=f"EJ-{commitment_id}",
        amount=amount,
    )


def paid(disbursement_id: str, commitment_id: str, on: date, amount: int) -> fu.ProjectDisbursementRecorded:
    return fu.ProjectDisbursementRecorded(
        disbursement_id=disbursement_id, commitment_id=commitment_id, paid_on=on, amount=amount
    )


def opinion(
    on: date, eligible: int, self_financing: int, in_kind: int, outcome: str = "favourable"
) -> fu.ProjectOpinionGiven:
    return fu.ProjectOpinionGiven(
        opinion_id="o1",
        given_on=on,
        outcome=outcome,  # type: ignore[arg-type]
        eligible_total=eligible,
        eligible_lines=(fu.EligibleLine(code="staff", category="staff", eligible_amount=eligible),),
        self_financing=self_financing,
        in_kind=in_kind,
    )


def story() -> Story:
    s = Story()
    intake = "intake"
    # pa: 2024, funded by state and bdt, fully funded plan
    s.add(
        "region",
        intake,
        "region-pa",
        submission(D(2024, 2, 5), "44", "creation_or_takeover", 4, third_place=True),
    )
    s.add("region", intake, "region-pa", qualified(D(2024, 2, 20), ("O1", "O14"), "44"))
    s.add(
        "region", intake, "region-pa", it.ProjectOriented(oriented_on=D(2024, 3, 1), network_ids=("net-1",))
    )
    s.add("state", "funding", "region-pa", requested("r1", D(2024, 3, 5), "grant", 30_000_00))
    s.add("bdt", "funding", "region-pa", requested("r1", D(2024, 3, 10), "loan", 50_000_00))
    s.add("state", "funding", "region-pa", opinion(D(2024, 4, 1), 100_000_00, 10_000_00, 5_000_00))
    s.add(
        "state",
        "funding",
        "region-pa",
        fu.ProjectCofunderDeclared(
            cofunder_line_id="dep44",
            declared_on=D(2024, 4, 5),
            kind="departement",
            instrument="grant",
            amount=5_000_00,
            status="granted",
        ),
    )
    s.add("state", "funding", "region-pa", decided("d1", D(2024, 4, 10), "grant", 30_000_00))
    s.add("state", "funding", "region-pa", committed("c1", "d1", D(2024, 4, 20), 30_000_00))
    s.add("bdt", "funding", "region-pa", decided("d1", D(2024, 5, 2), "loan", 50_000_00, gge=5_000_00))
    s.add("bdt", "funding", "region-pa", committed("c1", "d1", D(2024, 5, 15), 50_000_00))
    s.add("state", "funding", "region-pa", paid("x1", "c1", D(2024, 6, 1), 15_000_00))
    s.add("state", "funding", "region-pa", paid("x2", "c1", D(2025, 2, 1), 15_000_00))
    # pb: decided in 2024, committed in 2025
    s.add("region", intake, "region-pb", submission(D(2024, 9, 10), "49", "development_or_scale_up", 6))
    s.add("region", intake, "region-pb", qualified(D(2024, 10, 1), ("O2",), "49"))
    s.add("region", "funding", "region-pb", requested("r1", D(2024, 9, 20), "grant", 25_000_00))
    s.add("region", "funding", "region-pb", decided("d1", D(2024, 11, 15), "grant", 20_000_00))
    s.add("region", "funding", "region-pb", committed("c1", "d1", D(2025, 1, 20), 20_000_00))
    # pc: a cancelled conditional decision, and a second funder
    s.add("region", intake, "region-pc", submission(D(2025, 1, 15), "85", "consolidation", 3, epci=True))
    s.add("region", intake, "region-pc", qualified(D(2025, 1, 30), ("O3", "O13"), "85"))
    s.add(
        "region", intake, "region-pc", it.ProjectOriented(oriented_on=D(2025, 2, 10), network_ids=("net-2",))
    )
    s.add("state", "funding", "region-pc", requested("r1", D(2025, 2, 1), "grant", 40_000_00))
    s.add("bdt", "funding", "region-pc", requested("r1", D(2025, 2, 15), "repayable_advance", 10_000_00))
    s.add(
        "bdt",
        "funding",
        "region-pc",
        opinion(D(2025, 3, 1), 60_000_00, 5_000_00, 0, "favourable_with_reservations"),
    )
    s.add(
        "state",
        "funding",
        "region-pc",
        decided("d1", D(2025, 3, 20), "grant", 40_000_00, outcome="conditional"),
    )
    s.add("state", "funding", "region-pc", committed("c1", "d1", D(2025, 4, 1), 40_000_00))
    s.add(
        "bdt",
        "funding",
        "region-pc",
        decided("d1", D(2025, 5, 5), "repayable_advance", 10_000_00, gge=2_000_00),
    )
    s.add("bdt", "funding", "region-pc", committed("c1", "d1", D(2025, 6, 1), 10_000_00))
    s.add(
        "state",
        "funding",
        "region-pc",
        fu.ProjectDecisionCancelled(
            decision_id="d1", cancelled_on=D(2025, 10, 1), reason="conditions_not_met"
        ),
    )
    # pd: ineligible, refused
    s.add("region", intake, "region-pd", submission(D(2025, 3, 3), "44", "social_innovation", 1))
    s.add(
        "region",
        intake,
        "region-pd",
        it.ProjectQualified(
            qualified_on=D(2025, 3, 20),
            objectives=(),
            department="44",
            eligible=False,
            ineligibility_reasons=("outside_strategy_scope",),
        ),
    )
    s.add("region", "funding", "region-pd", decided("d1", D(2025, 4, 14), "grant", 0, outcome="refused"))
    # pe: corrected before qualification, funded and paid
    s.add("region", intake, "region-pe", submission(D(2025, 5, 5), "72", "creation_or_takeover", 5))
    s.add(
        "region",
        intake,
        "region-pe",
        it.ProjectCorrected(
            corrected_on=D(2025, 5, 10),
            organisation=_organisation("53", False),
            project=_details("creation_or_takeover", 2, False),
        ),
    )
    s.add("region", intake, "region-pe", qualified(D(2025, 5, 20), ("O1",), "53"))
    s.add(
        "region",
        intake,
        "region-pe",
        it.ProjectOriented(oriented_on=D(2025, 6, 1), network_ids=("net-1", "net-3")),
    )
    s.add("region", "funding", "region-pe", requested("r1", D(2025, 6, 10), "honour_loan", 8_000_00))
    s.add(
        "region", "funding", "region-pe", decided("d1", D(2025, 7, 1), "honour_loan", 8_000_00, gge=1_000_00)
    )
    s.add("region", "funding", "region-pe", committed("c1", "d1", D(2025, 7, 15), 8_000_00))
    s.add("region", "funding", "region-pe", paid("x1", "c1", D(2025, 8, 1), 8_000_00))
    # pf: submitted late in 2025, a request in 2026
    s.add("region", intake, "region-pf", submission(D(2025, 11, 20), "44", "collective_project", 2))
    s.add("state", "funding", "region-pf", requested("r1", D(2026, 1, 5), "grant", 12_000_00))
    return s
