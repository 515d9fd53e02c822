"""The funding plan of a project as plain facts: what the fold stored, one fact per issuer's act.

Every fact keeps the id of the event that last set it (`event_id`): rules that compare acts of several
issuers order them by a date of the act, then by that event id, never by arrival. Money is integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LineAmounts = tuple[tuple[str, int], ...]
"""Budget line codes with the amount covered, sorted by code."""


@dataclass(frozen=True, slots=True)
class BudgetLine:
    code: str
    category: str
    amount: int


@dataclass(frozen=True, slots=True)
class Opinion:
    pilot: str
    opinion_id: str
    event_id: str
    given_on: date
    outcome: str
    eligible_total: int
    self_financing: int
    in_kind: int
    lines: tuple[BudgetLine, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.pilot}/opinion/{self.opinion_id}"


@dataclass(frozen=True, slots=True)
class Request:
    pilot: str
    request_id: str
    event_id: str
    requested_on: date
    instrument: str
    amount: int
    budget_lines: tuple[str, ...] = ()
    programme: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    pilot: str
    decision_id: str
    event_id: str
    request_id: str
    decided_on: date
    outcome: str
    instrument: str
    nominal_amount: int
    gross_grant_equivalent: int
    state_aid_basis: str | None
    scheme_reference: str | None
    legal_right_on: date | None
    beneficiary_siren: str | None
    conditions: str = "[]"  # canonical JSON of the conditions, as the event carried them
    cancelled_on: date | None = None
    cancel_reason: str | None = None
    lines: LineAmounts = ()
    rules_version: int = 1  # the rules the act was checked under (ess_contracts.funding.RULES_VERSION)

    @property
    def key(self) -> str:
        return f"{self.pilot}/decision/{self.decision_id}"

    @property
    def grants(self) -> bool:
        """Granted or conditional, and not cancelled: the decision confers a right to aid."""
        return self.outcome != "refused" and self.cancelled_on is None


@dataclass(frozen=True, slots=True)
class Cofunder:
    """A co-funder that is not a pilot, as a pilot declared it."""

    pilot: str
    cofunder_line_id: str
    event_id: str
    declared_on: date
    kind: str
    cofunder_siren: str | None
    programme: str | None
    instrument: str
    amount: int
    status: str
    state_aid_basis: str | None
    scheme_reference: str | None
    gross_grant_equivalent: int | None
    legal_right_on: date | None
    beneficiary_siren: str | None
    lines: LineAmounts = ()
    rules_version: int = 1

    @property
    def key(self) -> str:
        return f"{self.pilot}/cofunder/{self.cofunder_line_id}"


@dataclass(frozen=True, slots=True)
class Commitment:
    pilot: str
    commitment_id: str
    event_id: str
    decision_id: str
    committed_on: date
    reference: str
    amount: int

    @property
    def key(self) -> str:
        return f"{self.pilot}/commitment/{self.commitment_id}"


@dataclass(frozen=True, slots=True)
class Tranche:
    pilot: str
    tranche_id: str
    event_id: str
    commitment_id: str
    due_on: date
    amount: int
    trigger: str


@dataclass(frozen=True, slots=True)
class Disbursement:
    pilot: str
    disbursement_id: str
    event_id: str
    commitment_id: str
    tranche_id: str | None
    paid_on: date
    amount: int
    payment_reference: str | None


@dataclass(frozen=True, slots=True)
class Recovery:
    pilot: str
    recovery_id: str
    event_id: str
    decision_id: str
    ordered_on: date
    amount: int
    reason: str
    reference: str | None


@dataclass(frozen=True, slots=True)
class PriorAid:
    aid_ref: str
    recipient_siren: str
    grantor: str
    basis: str
    gross_grant_equivalent: int
    legal_right_on: date


@dataclass(frozen=True, slots=True)
class Declaration:
    """The beneficiary's de minimis declaration; the latest by (declared_on, event id) is in force."""

    pilot: str
    event_id: str
    declared_on: date
    beneficiary_siren: str
    linked_undertakings: tuple[str, ...]
    fiscal_year_end_month: int
    prior_aids: tuple[PriorAid, ...] = ()

    @property
    def members(self) -> frozenset[str]:
        return frozenset((self.beneficiary_siren, *self.linked_undertakings))


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Two deciders of `pilot` went through the breach its act caused (opaque ids)."""

    pilot: str
    act_event_id: str
    event_id: str
    act: str
    rules: str  # comma-separated rule names
    acknowledged_on: date
    requested_by: str
    approved_by: str


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the fold holds about one project's funding, each collection sorted by its key."""

    project_id: str
    budget: tuple[BudgetLine, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    requests: tuple[Request, ...] = ()
    decisions: tuple[Decision, ...] = ()
    cofunders: tuple[Cofunder, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    tranches: tuple[Tranche, ...] = ()
    disbursements: tuple[Disbursement, ...] = ()
    recoveries: tuple[Recovery, ...] = ()
    declarations: tuple[Declaration, ...] = field(default=())
    acknowledgements: tuple[Acknowledgement, ...] = ()

    @property
    def opinion(self) -> Opinion | None:
        """The opinion in force: the latest by the date it was given, then by event id."""
        return max(self.opinions, key=lambda o: (o.given_on, o.event_id), default=None)

    @property
    def declaration(self) -> Declaration | None:
        return max(self.declarations, key=lambda d: (d.declared_on, d.event_id), default=None)

    @property
    def lines(self) -> dict[str, int]:
        """The budget lines rules judge against: the eligible lines in force, else the submitted ones."""
        opinion = self.opinion
        source = opinion.lines if opinion is not None else self.budget
        return {line.code: line.amount for line in source}

    def decision(self, pilot: str, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if (d.pilot, d.decision_id) == (pilot, decision_id)), None)

    def commitment(self, pilot: str, commitment_id: str) -> Commitment | None:
        found = (c for c in self.commitments if (c.pilot, c.commitment_id) == (pilot, commitment_id))
        return next(found, None)
