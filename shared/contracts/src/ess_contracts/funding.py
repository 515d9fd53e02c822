"""Funding events (O10): one funding plan per project, shared by funders that each record only their own acts.

Every event here uses aggregate `project` with the project id as aggregate id; the acting funder is the
envelope's pilot. Acts refer to each other by ids the issuing service mints (request, decision, commitment,
tranche...), unique within the project; an event of the same issuer with the same id replaces the earlier one
(a conditional decision becoming granted, a co-funder line changing status), in the issuer's sequence order.

Rules across funders (over-funding, double funding, de minimis) order acts by the business dates carried here
(`decided_on`, `committed_on`, `legal_right_on`...) and then by event id, never by arrival.

Rules have versions (`RULES_VERSION`): an act that grants aid carries the version it was checked under
(`rules_version`), in a payload version that a service on an older catalogue parks until it is upgraded, so
two services never judge one act by different rules. A rule applies to the acts of its version on: the
verdicts of older acts stay as they were given.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from ess_contracts.base import Payload
from ess_contracts.intake import BudgetCategory, Distinct, Frozen
from ess_contracts.sealing import Sealed
from ess_contracts.types import AggregateKind, Cents, ServiceName, Siren, Token

# --- enumerations -------------------------------------------------------------------------------------------

Instrument = Literal[
    "grant", "loan", "honour_loan", "repayable_advance", "guarantee", "equity", "quasi_equity"
]

StateAidBasis = Literal[
    "de_minimis_general",  # (EU) 1407/2013 until 2023-12-31, (EU) 2023/2831 from 2024-01-01
    "de_minimis_sgei",  # (EU) 360/2012 until 2023-12-31, (EU) 2023/2832 from 2024-01-01
    "block_exemption",  # with scheme_reference
    "notified_scheme",  # with scheme_reference
    "not_state_aid",
]
"""The de minimis regulation that applies follows from the aid's `legal_right_on` date (a dated table)."""

DE_MINIMIS_BASES: frozenset[StateAidBasis] = frozenset({"de_minimis_general", "de_minimis_sgei"})
SCHEME_BASES: frozenset[StateAidBasis] = frozenset({"block_exemption", "notified_scheme"})

OpinionOutcome = Literal["favourable", "favourable_with_reservations", "unfavourable"]

DecisionOutcome = Literal["granted", "conditional", "refused"]

ConditionKind = Literal[
    "cofunding_confirmed", "documents_provided", "jobs_created", "premises_secured", "other"
]

CofunderKind = Literal["departement", "epci", "eu_fund", "private", "other"]
"""Co-funders that are not pilots: they appear as declared lines of the plan, not as operators."""

CofunderStatus = Literal["planned", "requested", "granted", "refused", "withdrawn"]

TrancheTrigger = Literal["on_signature", "on_progress_report", "on_final_report", "on_date", "other"]

CancellationReason = Literal[
    "beneficiary_withdrew", "conditions_not_met", "project_abandoned", "recorded_in_error", "other"
]

RecoveryReason = Literal["unspent_funds", "conditions_not_met", "project_abandoned", "irregularity", "other"]

GrantorKind = Literal[
    "state", "region", "departement", "epci", "commune", "caisse_des_depots", "eu_fund", "other_public"
]

RULES_VERSION = 2
"""1: each plan judged alone (over-funding, double funding, de minimis within the plan). 2: de minimis
judged per single undertaking, across every project and funder (ess_views.undertaking): the ledger names
as crossing acts only aid of version 2 on; aid of version 1 counts in its totals."""

RulesVersion = Annotated[int, Field(strict=True, ge=1, le=RULES_VERSION)]

# --- field helpers ------------------------------------------------------------------------------------------

Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,63}$")]
"""An administrative reference: a legal commitment number, a scheme number such as `SA.111726`."""

PositiveCents = Annotated[Cents, Field(gt=0)]

STAFF_REMARK_MAX = 500
CONDITION_DETAIL_MAX = 200
"""The longest remark and condition detail staff may write, checked before they are sealed."""

# --- value objects ------------------------------------------------------------------------------------------


class LineAmount(Frozen):
    """An amount on one budget line of the project (line codes come from intake's budget)."""

    code: Token
    amount: Cents


class EligibleLine(Frozen):
    """A line of the eligible budget; the instruction may keep, cut or split the submitted lines."""

    code: Token
    category: BudgetCategory
    eligible_amount: Cents


OPINION_REMARK_FIELD = "opinion.remark"
CONDITION_DETAIL_FIELD = "decision.condition"
"""The fields a funder's free text is sealed under: staff may write about people (a manager, a member)."""


class Condition(Frozen):
    """Since version 3 of the decision, `detail` travels sealed and is absent rather than empty."""

    kind: ConditionKind
    detail: Sealed | None = None
    due_on: date | None = None


class PriorAid(Frozen):
    """A de minimis aid the single undertaking received outside this project's plan."""

    aid_ref: Token
    recipient_siren: Siren
    grantor: GrantorKind
    basis: Literal["de_minimis_general", "de_minimis_sgei"]
    gross_grant_equivalent: PositiveCents
    legal_right_on: date


def _distinct_codes(lines: tuple[LineAmount, ...] | tuple[EligibleLine, ...]) -> None:
    codes = [line.code for line in lines]
    if len(set(codes)) != len(codes):
        raise ValueError("budget line codes must be distinct")


# --- events -------------------------------------------------------------------------------------------------


class _FundingEvent(Payload):
    SERVICE: ClassVar[ServiceName] = "funding"
    AGGREGATE: ClassVar[AggregateKind] = "project"


class ProjectFundingRequested(_FundingEvent):
    """A funding request registered by the pilot it is addressed to (the envelope's pilot)."""

    type: Literal["project_funding_requested"] = "project_funding_requested"
    request_id: Token
    requested_on: date
    instrument: Instrument
    amount: PositiveCents
    budget_lines: Annotated[tuple[Token, ...], Distinct] = ()
    programme: Token | None = None


class ProjectOpinionGiven(_FundingEvent):
    """The shared pre-instruction opinion: it fixes the eligible budget for all funders; each still decides.

    Self-financing and in-kind contributions count with commitments towards the eligible budget.
    """

    VERSION: ClassVar[int] = 2  # 2: the remark travels sealed
    type: Literal["project_opinion_given"] = "project_opinion_given"
    opinion_id: Token
    given_on: date
    outcome: OpinionOutcome
    eligible_total: Cents
    eligible_lines: Annotated[tuple[EligibleLine, ...], Field(min_length=1)]
    self_financing: Cents
    in_kind: Cents
    remark: Sealed | None = None  # version 2: sealed, absent rather than empty

    @model_validator(mode="after")
    def _lines_sum_to_total(self) -> Self:
        _distinct_codes(self.eligible_lines)
        if sum(line.eligible_amount for line in self.eligible_lines) != self.eligible_total:
            raise ValueError("eligible lines must sum to the eligible total")
        return self


class ProjectCofunderDeclared(_FundingEvent):
    """A co-funder line that is not a pilot, declared (or re-declared with a new status) by a pilot.

    When it is de minimis aid, it carries what the de minimis rule needs, and counts for the beneficiary's
    single undertaking like a pilot's decision.
    """

    VERSION: ClassVar[int] = 2  # 2: rules_version
    type: Literal["project_cofunder_declared"] = "project_cofunder_declared"
    cofunder_line_id: Token
    declared_on: date
    kind: CofunderKind
    cofunder_siren: Siren | None = None
    programme: Token | None = None
    instrument: Instrument
    amount: Cents
    status: CofunderStatus
    budget_lines: tuple[LineAmount, ...] = ()
    state_aid_basis: StateAidBasis | None = None
    scheme_reference: Reference | None = None
    gross_grant_equivalent: Cents | None = None
    legal_right_on: date | None = None
    beneficiary_siren: Siren | None = None
    rules_version: RulesVersion = RULES_VERSION

    @model_validator(mode="after")
    def _state_aid_complete(self) -> Self:
        _distinct_codes(self.budget_lines)
        if self.kind == "private" and self.state_aid_basis not in (None, "not_state_aid"):
            raise ValueError("a private co-funder grants no state aid")
        if self.gross_grant_equivalent is not None and self.gross_grant_equivalent > self.amount:
            raise ValueError("the gross grant equivalent cannot exceed the amount")
        if sum(line.amount for line in self.budget_lines) > self.amount:
            raise ValueError("budget lines covered exceed the amount")
        _check_state_aid(
            self.state_aid_basis,
            self.scheme_reference,
            self.gross_grant_equivalent,
            self.legal_right_on,
            self.beneficiary_siren,
        )
        return self


class ProjectDecisionRecorded(_FundingEvent):
    """A funder's decision on a request. A refusal grants nothing: zero amounts, no line, no state-aid basis.

    `legal_right_on` is the date the right to the aid arises: it picks the de minimis regulation in force
    and places the aid in the three-year window. Conditions: required when conditional, none when refused.
    """

    VERSION: ClassVar[int] = 3  # 2: rules_version; 3: conditions' details sealed
    type: Literal["project_decision_recorded"] = "project_decision_recorded"
    decision_id: Token
    request_id: Token
    decided_on: date
    outcome: DecisionOutcome
    instrument: Instrument
    nominal_amount: Cents
    gross_grant_equivalent: Cents
    state_aid_basis: StateAidBasis | None = None
    scheme_reference: Reference | None = None
    legal_right_on: date | None = None
    beneficiary_siren: Siren | None = None
    budget_lines: tuple[LineAmount, ...] = ()
    conditions: Annotated[tuple[Condition, ...], Field(max_length=20)] = ()
    rules_version: RulesVersion = RULES_VERSION

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _distinct_codes(self.budget_lines)
        if self.outcome == "refused":
            if self.nominal_amount or self.gross_grant_equivalent or self.budget_lines or self.conditions:
                raise ValueError("a refusal has zero amounts and no budget line or condition")
            if self.state_aid_basis is not None or self.legal_right_on is not None:
                raise ValueError("a refusal has no state-aid basis and no legal right date")
        else:
            if self.nominal_amount == 0:
                raise ValueError("a granted or conditional decision has a positive nominal amount")
            if self.state_aid_basis is None or self.legal_right_on is None:
                raise ValueError("a granted or conditional decision needs state_aid_basis and legal_right_on")
        if self.outcome == "conditional" and not self.conditions:
            raise ValueError("a conditional decision states its conditions")
        if self.gross_grant_equivalent > self.nominal_amount:
            raise ValueError("the gross grant equivalent cannot exceed the nominal amount")
        if self.instrument == "grant" and self.gross_grant_equivalent != self.nominal_amount:
            raise ValueError("a grant's gross grant equivalent is its nominal amount")
        if sum(line.amount for line in self.budget_lines) > self.nominal_amount:
            raise ValueError("budget lines covered exceed the nominal amount")
        _check_state_aid(
            self.state_aid_basis,
            self.scheme_reference,
            self.gross_grant_equivalent,
            self.legal_right_on,
            self.beneficiary_siren,
        )
        return self


class ProjectCommitmentRecorded(_FundingEvent):
    """The legal commitment of a decided amount: what counts towards funding the plan."""

    type: Literal["project_commitment_recorded"] = "project_commitment_recorded"
    commitment_id: Token
    decision_id: Token
    committed_on: date
    reference: Reference
    amount: PositiveCents


class ProjectTrancheScheduled(_FundingEvent):
    type: Literal["project_tranche_scheduled"] = "project_tranche_scheduled"
    tranche_id: Token
    commitment_id: Token
    due_on: date
    amount: PositiveCents
    trigger: TrancheTrigger


class ProjectDisbursementRecorded(_FundingEvent):
    type: Literal["project_disbursement_recorded"] = "project_disbursement_recorded"
    disbursement_id: Token
    commitment_id: Token
    tranche_id: Token | None = None
    paid_on: date
    amount: PositiveCents
    payment_reference: Reference | None = None


class ProjectDecisionCancelled(_FundingEvent):
    """Cancels a whole decision and releases its commitments (partial reductions are not in version 1)."""

    type: Literal["project_decision_cancelled"] = "project_decision_cancelled"
    decision_id: Token
    cancelled_on: date
    reason: CancellationReason


class ProjectRecoveryRecorded(_FundingEvent):
    """An amount the beneficiary must pay back (a recovery order); positive cents returned to the funder."""

    type: Literal["project_recovery_recorded"] = "project_recovery_recorded"
    recovery_id: Token
    decision_id: Token
    ordered_on: date
    amount: PositiveCents
    reason: RecoveryReason
    reference: Reference | None = None


class ProjectDeMinimisDeclared(_FundingEvent):
    """The beneficiary's de minimis declaration: its linked undertakings and prior de minimis aid.

    Aid already in this plan (pilots' decisions, declared co-funder lines) is not repeated here, so nothing
    counts twice. A later declaration for the project replaces the earlier one (ordered by `declared_on`,
    then event id). `fiscal_year_end_month` serves the 1407/2013 and 360/2012 windows (fiscal years).
    """

    type: Literal["project_de_minimis_declared"] = "project_de_minimis_declared"
    declared_on: date
    beneficiary_siren: Siren
    linked_undertakings: Annotated[tuple[Siren, ...], Distinct] = ()
    fiscal_year_end_month: Annotated[int, Field(strict=True, ge=1, le=12)] = 12
    prior_aids: Annotated[tuple[PriorAid, ...], Field(max_length=200)] = ()

    @model_validator(mode="after")
    def _single_undertaking(self) -> Self:
        if self.beneficiary_siren in self.linked_undertakings:
            raise ValueError("the beneficiary is not its own linked undertaking")
        members = {self.beneficiary_siren, *self.linked_undertakings}
        for aid in self.prior_aids:
            if aid.recipient_siren not in members:
                raise ValueError(f"aid {aid.aid_ref} went to {aid.recipient_siren}, outside the undertaking")
        refs = [aid.aid_ref for aid in self.prior_aids]
        if len(set(refs)) != len(refs):
            raise ValueError("aid references must be distinct")
        return self


AcknowledgeableRule = Literal["over_funding", "double_funding"]


class ProjectBreachAcknowledged(_FundingEvent):
    """Two deciders of the issuing pilot knowingly went through an over-funding or double-funding breach
    that its act `act` (its event `act_event_id`, on the same project) causes or worsens. A de minimis
    breach is never acknowledged. The deciders appear as the opaque ids their pilot gives them."""

    type: Literal["project_breach_acknowledged"] = "project_breach_acknowledged"
    act: Reference  # `state/commitment/c1`
    act_event_id: Token
    rules: Annotated[tuple[AcknowledgeableRule, ...], Distinct, Field(min_length=1)]
    acknowledged_on: date
    requested_by: Token
    approved_by: Token

    @model_validator(mode="after")
    def _two_people(self) -> Self:
        if self.requested_by == self.approved_by:
            raise ValueError("a breach is acknowledged by two different deciders")
        return self


def _check_state_aid(
    basis: StateAidBasis | None,
    scheme_reference: str | None,
    gross_grant_equivalent: int | None,
    legal_right_on: date | None,
    beneficiary_siren: str | None,
) -> None:
    if (basis in SCHEME_BASES) != (scheme_reference is not None):
        raise ValueError("scheme_reference is given exactly for a block exemption or a notified scheme")
    if basis in DE_MINIMIS_BASES and (
        gross_grant_equivalent is None or legal_right_on is None or beneficiary_siren is None
    ):
        raise ValueError("de minimis aid needs gross_grant_equivalent, legal_right_on and beneficiary_siren")


FundingPayload = (
    ProjectFundingRequested
    | ProjectOpinionGiven
    | ProjectCofunderDeclared
    | ProjectDecisionRecorded
    | ProjectCommitmentRecorded
    | ProjectTrancheScheduled
    | ProjectDisbursementRecorded
    | ProjectDecisionCancelled
    | ProjectRecoveryRecorded
    | ProjectDeMinimisDeclared
    | ProjectBreachAcknowledged
)
