"""The HTTP API's documents. The strategy document is also the format of the demo file and of any other
region's strategy: actions and indicators with yearly targets, loaded the same way."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ess_contracts import evaluation as ev
from ess_contracts.intake import ObjectiveCode
from ess_contracts.types import Pilot, Token


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionSpec(_Closed):
    code: ev.Code
    title: Annotated[str, Field(min_length=1, max_length=200)]
    lead_pilots: list[Pilot]
    objectives: list[ObjectiveCode]
    defined_on: date | None = None
    example: bool = False

    def payload(self, day: date, example: bool) -> ev.ActionDefined:
        return ev.ActionDefined(
            code=self.code,
            defined_on=self.defined_on or day,
            title=self.title,
            lead_pilots=tuple(self.lead_pilots),
            objectives=tuple(self.objectives),
            example=self.example or example,
        )


class IndicatorSpec(_Closed):
    code: ev.Code
    title: Annotated[str, Field(min_length=1, max_length=200)]
    action_code: ev.Code | None = None
    kind: ev.IndicatorKind
    direction: ev.Direction
    unit: ev.Unit
    scale: int = 0
    source: ev.IndicatorSource
    derivation: Token | None = None
    targets: dict[int, int] = Field(default_factory=dict, description="year -> value at `scale`")
    defined_on: date | None = None
    example: bool = False

    def payload(self, day: date, example: bool) -> ev.IndicatorDefined:
        return ev.IndicatorDefined(
            code=self.code,
            defined_on=self.defined_on or day,
            title=self.title,
            action_code=self.action_code,
            kind=self.kind,
            direction=self.direction,
            unit=self.unit,
            scale=self.scale,
            source=self.source,
            derivation=self.derivation,
            targets=tuple(ev.YearTarget(year=y, value=v) for y, v in sorted(self.targets.items())),
            example=self.example or example,
        )


class StrategyDocument(_Closed):
    """Actions and indicators to define. `example: true` marks every definition as an example (demo data)."""

    defined_on: date
    example: bool = False
    note: str = ""
    actions: list[ActionSpec] = Field(default_factory=list)
    indicators: list[IndicatorSpec] = Field(default_factory=list)

    def payloads(self) -> tuple[list[ev.ActionDefined], list[ev.IndicatorDefined]]:
        return (
            [a.payload(self.defined_on, self.example) for a in self.actions],
            [i.payload(self.defined_on, self.example) for i in self.indicators],
        )


class MeasureRequest(_Closed):
    period_start: date
    period_end: date
    value: int
    scale: int = 0
    source: ev.MeasureSource
    remark: str = ""
    measure_id: Token | None = Field(default=None, description="the same id again replaces the measure")
    recorded_on: date | None = Field(default=None, description="default: today")


class ReviewRequest(_Closed):
    """A follow-up review as staff write it; the remark is sealed before it travels."""

    milestone_months: ev.ReviewMilestone
    reviewed_on: date
    still_operating: bool
    jobs_created: Annotated[int, Field(strict=True, ge=0)]
    jobs_kept: Annotated[int, Field(strict=True, ge=0)]
    remark: Annotated[str, Field(max_length=500)] = ""


class Recorded(BaseModel):
    event_ids: list[str]


class DecimalValue(BaseModel):
    """An exact number as an integer at a scale: value 415 at scale 1 reads 41.5."""

    value: int
    scale: int


class FiguresOut(BaseModel):
    year: int
    metrics: dict[str, dict[str, dict[str, int]]] = Field(
        description="metric -> dimension (total, objective, department, pilot, instrument, pilot_instrument) "
        "-> key -> value; counts of projects, jobs, or cents"
    )
    plans: int
    plans_fully_funded: int = Field(description="covered exactly: the eligible total, no more")
    plans_over_funded: int = Field(description="covered beyond the eligible total: never fully funded")
    fully_funded_percent: DecimalValue | None
    decided_projects: int
    median_days_to_first_decision: DecimalValue | None


class ActualOut(BaseModel):
    code: str
    title: str
    action_code: str | None
    source: str
    derivation: str | None
    unit: str
    scale: int
    direction: str
    year: int
    target: int | None = Field(description="at the indicator's scale")
    actual: int | None = Field(description="at the indicator's scale, rounded half away from zero")
    status: str
    measures: int


class SeriesOut(BaseModel):
    name: str
    values: list[DecimalValue] = Field(description="one per category, in the categories' order")


class ChartOut(BaseModel):
    """One of the annual report's charts: its figures, and the report's own drawing of them."""

    name: str = Field(description="the report's `charts/<name>.svg`")
    title: str
    unit: str
    categories: list[str]
    series: list[SeriesOut]
    reference: DecimalValue | None = Field(description="a line drawn across, e.g. 100 % of target")
    reference_label: str
    svg: str = Field(description="the chart as the report draws it: an SVG document, byte for byte")


class ReviewOut(BaseModel):
    project_id: str
    milestone_months: int
    first_committed_on: date
    due_on: date
    state: str
    reviewed_on: date | None = None
    reviewed_by: str | None = None
    remark: str | None = Field(default=None, description="opened for staff; absent for operators")


class StrategyOut(BaseModel):
    actions: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
