"""Projects as evaluation sees them: what intake and the funders recorded, and the rules that read it.

- A project's objectives are those of its qualification when it lists any, otherwise the objectives its
  stage, third place and EPCI partnership point to (`objectives_for`, the strategy's mapping). Its
  department is the qualification's, otherwise the organisation's.
- A commitment is live on a day when its decision is not refused and was not cancelled on or before it.
- A project is funded from its first live commitment (any funder); `first_commitment` restricted to one
  pilot gives when that pilot funded it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from ess_contracts.reference.strategy import objectives_for

ELIGIBLE_OPINIONS = frozenset({"favourable", "favourable_with_reservations"})


@dataclass(frozen=True)
class Project:
    project_id: str
    intake_pilot: str
    submitted_on: date
    department: str
    objectives: tuple[str, ...]
    planned_jobs: int
    qualified_on: date | None = None  # an eligible qualification
    oriented_on: date | None = None  # the first orientation


def project_objectives(
    stage: str, third_place: bool, epci_partner: bool, qualified: Iterable[str]
) -> tuple[str, ...]:
    listed = tuple(qualified)
    return listed if listed else objectives_for(stage, third_place, epci_partner)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Request:
    project_id: str
    pilot: str
    request_id: str
    requested_on: date
    instrument: str
    amount: int


@dataclass(frozen=True)
class Decision:
    project_id: str
    pilot: str
    decision_id: str
    decided_on: date
    outcome: str
    instrument: str
    nominal_amount: int
    cancelled_on: date | None = None

    def live_on(self, day: date | None) -> bool:
        """Not refused and not cancelled on or before `day` (None: not cancelled at all)."""
        if self.outcome == "refused":
            return False
        return self.cancelled_on is None or (day is not None and self.cancelled_on > day)


@dataclass(frozen=True)
class Commitment:
    project_id: str
    pilot: str
    commitment_id: str
    decision_id: str
    committed_on: date
    amount: int


@dataclass(frozen=True)
class Disbursement:
    project_id: str
    pilot: str
    disbursement_id: str
    commitment_id: str
    paid_on: date
    amount: int


@dataclass(frozen=True)
class Opinion:
    project_id: str
    pilot: str
    opinion_id: str
    event_id: str
    given_on: date
    outcome: str
    eligible_total: int
    self_financing: int
    in_kind: int


@dataclass(frozen=True)
class CofunderLine:
    project_id: str
    pilot: str
    line_id: str
    declared_on: date
    amount: int
    status: str


@dataclass(frozen=True)
class Portfolio:
    """Every project fact the view holds; the rules below read it, never the database."""

    projects: dict[str, Project] = field(default_factory=dict)
    requests: tuple[Request, ...] = ()
    decisions: tuple[Decision, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    disbursements: tuple[Disbursement, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    cofunder_lines: tuple[CofunderLine, ...] = ()

    def decision_of(self, item: Commitment) -> Decision | None:
        return self._decisions.get((item.project_id, item.pilot, item.decision_id))

    def commitment_of(self, item: Disbursement) -> Commitment | None:
        return self._commitments.get((item.project_id, item.pilot, item.commitment_id))

    def instrument_of(self, item: Commitment | None) -> str:
        """The instrument of the decision a commitment carries out (`unknown` if the view lacks it)."""
        decision = self.decision_of(item) if item is not None else None
        return decision.instrument if decision is not None else "unknown"

    def live_commitments(self, day: date | None) -> list[Commitment]:
        """Commitments made by `day` (None: all) whose decision is live on it."""
        return [
            c
            for c in self.commitments
            if (day is None or c.committed_on <= day)
            and (d := self.decision_of(c)) is not None
            and d.live_on(day)
        ]

    def first_commitment(self, project_id: str, day: date | None, pilot: str | None = None) -> date | None:
        dates = [
            c.committed_on
            for c in self.live_commitments(day)
            if c.project_id == project_id and (pilot is None or c.pilot == pilot)
        ]
        return min(dates, default=None)

    def first_decision(self, project_id: str) -> date | None:
        return min((d.decided_on for d in self.decisions if d.project_id == project_id), default=None)

    def opinion_in_force(self, project_id: str, day: date) -> Opinion | None:
        given = [o for o in self.opinions if o.project_id == project_id and o.given_on <= day]
        return max(given, key=lambda o: (o.given_on, o.event_id), default=None)

    @cached_property
    def _decisions(self) -> dict[tuple[str, str, str], Decision]:
        return {(d.project_id, d.pilot, d.decision_id): d for d in self.decisions}

    @cached_property
    def _commitments(self) -> dict[tuple[str, str, str], Commitment]:
        return {(c.project_id, c.pilot, c.commitment_id): c for c in self.commitments}
