"""Evaluation events (O11): the strategy's actions and indicators as data, measures, project follow-up
reviews, steering sessions and the published annual report.

Aggregates: `action` (id: the action code), `indicator` (id: the indicator code; its measures too),
`project` (follow-up reviews, id: the project id), `session` (id minted by the service), `report`
(id: e.g. `report-2025`). Codes carried in a payload equal the aggregate id. A definition issued again by
the same issuer replaces the earlier one. Numbers are integers: a value with decimals is an integer with a
`scale` (value 1234 at scale 2 reads 12.34 in the indicator's unit); no floats on the bus.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from ess_contracts.base import Payload
from ess_contracts.intake import Count, Distinct, Frozen, ObjectiveCode
from ess_contracts.sealing import Sealed
from ess_contracts.types import AggregateKind, Pilot, ServiceName, Sha256, Text, Token, Year

# --- enumerations -------------------------------------------------------------------------------------------

IndicatorKind = Literal["output", "outcome"]

Direction = Literal["increase", "decrease", "maintain"]
"""Which way the indicator should move for the action to be on track."""

Unit = Literal["count", "cents", "days", "jobs", "percent", "hours"]

IndicatorSource = Literal["derived", "measured"]
"""Derived indicators are computed from the stream by the named derivation; measured ones are recorded."""

MeasureSource = Literal["survey", "administrative_data", "network_report", "pilot_records", "other"]

ReviewMilestone = Literal[12, 24, 36]
"""Months after the project's first commitment."""

SessionKind = Literal["steering_committee", "technical_committee", "collective_event"]

SessionItemKind = Literal["decision", "recommendation"]

ActionProgress = Literal["not_started", "on_track", "delayed", "at_risk", "done"]

# --- field helpers ------------------------------------------------------------------------------------------

Scale = Annotated[int, Field(strict=True, ge=0, le=6)]
"""Decimal places of an integer value: the value read is `value / 10**scale`."""

Value = Annotated[int, Field(strict=True)]

StrategyYear = Annotated[int, Field(strict=True, ge=2022, le=2028)]

Code = Annotated[Token, Field(max_length=32)]

Remark = Annotated[Text, Field(max_length=500)]
"""A short professional remark by evaluation staff; never personal data."""

# --- value objects ------------------------------------------------------------------------------------------


class YearTarget(Frozen):
    year: StrategyYear
    value: Value


class SessionItem(Frozen):
    """A decision or recommendation of a session about one action, with the progress it noted."""

    action_code: Code
    kind: SessionItemKind
    text: Annotated[Text, Field(min_length=1, max_length=500)]
    progress: ActionProgress | None = None


# --- events -------------------------------------------------------------------------------------------------


class ActionDefined(Payload):
    """An action of the strategy as the governance defines it. `example` marks demo data, never real."""

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "action"
    type: Literal["action_defined"] = "action_defined"
    code: Code
    defined_on: date
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    lead_pilots: Annotated[tuple[Pilot, ...], Field(min_length=1), Distinct]
    objectives: Annotated[tuple[ObjectiveCode, ...], Field(min_length=1), Distinct]
    example: bool = False


class IndicatorDefined(Payload):
    """An indicator with its yearly targets (at `scale`). A derived one names its derivation in `shared/`
    (e.g. `projects_submitted`); a measured one belongs to an action, whose lead pilots record its measures.
    """

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "indicator"
    type: Literal["indicator_defined"] = "indicator_defined"
    code: Code
    defined_on: date
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    action_code: Code | None = None
    kind: IndicatorKind
    direction: Direction
    unit: Unit
    scale: Scale = 0
    source: IndicatorSource
    derivation: Token | None = None
    targets: Annotated[tuple[YearTarget, ...], Field(max_length=7)] = ()
    example: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        years = [target.year for target in self.targets]
        if len(set(years)) != len(years):
            raise ValueError("one target per year")
        if (self.source == "derived") != (self.derivation is not None):
            raise ValueError("a derivation is named exactly for a derived indicator")
        if self.source == "measured" and self.action_code is None:
            raise ValueError("a measured indicator belongs to an action")
        return self


class IndicatorMeasureRecorded(Payload):
    """A measure by a pilot that leads the action. Recorded again with the same `measure_id`, it replaces."""

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "indicator"
    type: Literal["indicator_measure_recorded"] = "indicator_measure_recorded"
    measure_id: Token
    indicator_code: Code
    action_code: Code
    recorded_on: date
    period_start: date
    period_end: date
    value: Value
    scale: Scale = 0
    source: MeasureSource
    remark: Remark = ""

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


REVIEW_REMARK_FIELD = "review.remark"
"""The field a review's remark is sealed under: staff may write about the people running the project."""


class ProjectReviewRecorded(Payload):
    """A funded project's follow-up review at 12, 24 or 36 months; due dates are derived, not events.
    Version 2: the remark travels sealed, and is absent rather than empty."""

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "project"
    VERSION: ClassVar[int] = 2
    type: Literal["project_review_recorded"] = "project_review_recorded"
    milestone_months: ReviewMilestone
    reviewed_on: date
    still_operating: bool
    jobs_created: Count
    jobs_kept: Count
    remark: Sealed | None = None


ReminderStage = Literal["due", "overdue"]


class ProjectReviewDue(Payload):
    """A pilot's review scheduler says, as of `as_of`, that its follow-up review of a project it funds is
    due, or overdue (`OVERDUE_AFTER_DAYS` past `due_on`), and not done: the as-of day is the scheduler's,
    never a fold's clock. Its staff who chose these notices are told. Once per project, milestone and
    stage."""

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "project"
    type: Literal["project_review_due"] = "project_review_due"
    milestone_months: ReviewMilestone
    due_on: date
    stage: ReminderStage
    as_of: date

    @model_validator(mode="after")
    def _not_before_due(self) -> Self:
        if self.as_of < self.due_on:
            raise ValueError("as_of is before due_on: a review is not due before its day")
        return self


class SessionRecorded(Payload):
    """A steering session held: who was present and what it decided or recommended, action by action."""

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "session"
    type: Literal["session_recorded"] = "session_recorded"
    held_on: date
    kind: SessionKind = "steering_committee"
    pilots_present: Annotated[tuple[Pilot, ...], Field(min_length=1), Distinct]
    items: Annotated[tuple[SessionItem, ...], Field(max_length=100)] = ()


class ReportPublished(Payload):
    """The annual report, published by its digest: anyone holding the files can check them against it.

    `view_digest` is the whole-view digest the report was computed from, under `catalogue_version`.
    """

    SERVICE: ClassVar[ServiceName] = "evaluation"
    AGGREGATE: ClassVar[AggregateKind] = "report"
    type: Literal["report_published"] = "report_published"
    year: Year
    published_on: date
    report_sha256: Sha256
    tables_sha256: Sha256 | None = None
    view_digest: Sha256 | None = None
    catalogue_version: Token


EvaluationPayload = (
    ActionDefined
    | IndicatorDefined
    | IndicatorMeasureRecorded
    | ProjectReviewRecorded
    | ProjectReviewDue
    | SessionRecorded
    | ReportPublished
)
