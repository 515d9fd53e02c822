"""HTTP routes that read the view: the strategy in force, figures, targets against actuals, the report's
charts, reviews as of a day, sessions and published reports. Every answer is computed from the view for
the day or year asked."""

from dataclasses import asdict
from datetime import date
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from ess_contracts import evaluation as ev
from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.digests import view_digest
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.sealed_reads import SealedReads
from ess_evaluation.adapters import queries
from ess_evaluation.adapters.views import evaluation_views
from ess_evaluation.domain.derivations import DERIVATIONS
from ess_evaluation.domain.figures import Figures
from ess_evaluation.domain.numbers import to_scale
from ess_evaluation.domain.report_model import Chart
from ess_evaluation.domain.reviews import ReviewState, status_as_of
from ess_evaluation.entrypoints.schemas import (
    ActualOut,
    ChartOut,
    DecimalValue,
    FiguresOut,
    ReviewOut,
    SeriesOut,
    StrategyOut,
)
from ess_evaluation.service_layer.reporting import drawn_charts

READERS = ("instructor", "decider", "operator", "admin")
Year = Annotated[int, Query(ge=2000, le=2100)]
CHART_SCALE = 2  # a chart's figures as numbers at this scale: exact for euros, percents to a hundredth


def figures_out(f: Figures) -> FiguresOut:
    share, days = f.fully_funded_share, f.median_days_to_first_decision
    return FiguresOut(
        year=f.year,
        metrics=f.metrics,
        plans=f.plans,
        plans_fully_funded=f.plans_fully_funded,
        plans_over_funded=f.plans_over_funded,
        fully_funded_percent=DecimalValue(value=to_scale(share, 1), scale=1) if share is not None else None,
        decided_projects=f.decided_projects,
        median_days_to_first_decision=DecimalValue(value=to_scale(days, 1), scale=1)
        if days is not None
        else None,
    )


def reads_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["evaluation views"])
    reader = Depends(require_service_pilot(runtime.settings.pilot, *READERS))

    @router.get("/strategy", response_model=StrategyOut)
    async def strategy(_: Annotated[Principal, reader]) -> StrategyOut:
        """The actions and indicators in force (latest definition of each code, whoever issued it)."""
        async with runtime.engine.connect() as conn:
            actions, indicators = await queries.actions(conn), await queries.indicators(conn)
        return StrategyOut(
            actions=[_plain(a) for a in actions.values()], indicators=[_plain(i) for i in indicators.values()]
        )

    @router.get("/derivations")
    async def derivations(_: Annotated[Principal, reader]) -> list[dict[str, str]]:
        """What a derived indicator may name, with its unit."""
        return [{"name": d.name, "unit": d.unit, "description": d.description} for d in DERIVATIONS.values()]

    @router.get("/figures", response_model=FiguresOut)
    async def figures(year: Year, _: Annotated[Principal, reader]) -> FiguresOut:
        """The derived figures of a calendar year, by objective, department, pilot and instrument."""
        async with runtime.engine.connect() as conn:
            evaluator = await queries.evaluator(conn)
        return figures_out(evaluator.figures(year))

    @router.get("/indicators/actuals", response_model=list[ActualOut])
    async def actuals(year: Year, _: Annotated[Principal, reader]) -> list[ActualOut]:
        """Every indicator in force: its target and actual for the year, and whether it reached it."""
        async with runtime.engine.connect() as conn:
            evaluator = await queries.evaluator(conn)
        result = []
        for indicator in evaluator.indicators.values():
            a = evaluator.actual(indicator, year)
            result.append(
                ActualOut(
                    **{
                        k: getattr(indicator, k)
                        for k in ("code", "title", "action_code", "source", "derivation")
                    },
                    **{k: getattr(indicator, k) for k in ("unit", "scale", "direction")},
                    year=year,
                    target=indicator.targets.get(year),
                    actual=to_scale(a.value, indicator.scale) if a.value is not None else None,
                    status=a.status,
                    measures=a.measures,
                )
            )
        return result

    @router.get("/charts/{year}", response_model=list[ChartOut])
    async def charts(
        year: Annotated[int, Path(ge=2000, le=2100)],
        _: Annotated[Principal, reader],
        as_of: Annotated[date | None, Query(description="reviews as of this day (default: 31 Dec.)")] = None,
    ) -> list[ChartOut]:
        """The annual report's charts for the year, computed now from the view: each one's figures, and
        its SVG, the report's own drawing (what `charts/<name>.svg` of a report written now would hold)."""
        async with runtime.engine.connect() as conn:
            drawn = await drawn_charts(conn, year, as_of)
        return [chart_out(chart, svg) for chart, svg in drawn]

    @router.get("/reviews", response_model=list[ReviewOut])
    async def reviews(
        as_of: date, principal: Annotated[Principal, reader], state: ReviewState | None = None
    ) -> list[ReviewOut]:
        """Follow-up reviews in their state as of a day (done, overdue or upcoming), by due date; each
        remark opened for staff (it may speak of people), never for operators."""
        async with runtime.engine.connect() as conn:
            statuses = status_as_of(await queries.dues(conn), await queries.reviews(conn), as_of)
        texts = SealedReads(runtime, principal)
        found = [
            ReviewOut(
                remark=await texts.open(s.review.remark, s.review.project_id, ev.REVIEW_REMARK_FIELD)
                if s.review
                else None,
                project_id=s.due.project_id,
                milestone_months=s.due.milestone_months,
                first_committed_on=s.due.first_committed_on,
                due_on=s.due.due_on,
                state=s.state,
                reviewed_on=s.review.reviewed_on if s.review else None,
                reviewed_by=s.review.pilot if s.review else None,
            )
            for s in statuses
            if state is None or s.state == state
        ]
        await texts.log()
        return found

    @router.get("/sessions")
    async def sessions(_: Annotated[Principal, reader], year: Year | None = None) -> list[dict[str, Any]]:
        async with runtime.engine.connect() as conn:
            found = await queries.sessions(conn)
        return [_plain(s) for s in found if year is None or s.held_on.year == year]

    @router.get("/evaluation/digest")
    async def digest(_: Annotated[Principal, reader]) -> dict[str, Any]:
        """The digest of the evaluation views (docs/digest.md): every pilot's evaluation service that applied
        the same events holds the same one, whatever the order they arrived in."""
        views = evaluation_views()
        async with runtime.engine.connect() as conn:
            value = await view_digest(conn, views)
        return {"views": sorted(v.name for v in views), "digest": value}

    @router.get("/reports")
    async def reports(_: Annotated[Principal, reader]) -> list[dict[str, Any]]:
        """Reports published by any pilot, with the digests to check their files against."""
        async with runtime.engine.connect() as conn:
            return await queries.reports(conn)

    return router


def chart_out(chart: Chart, svg: str) -> ChartOut:
    def number(value: Fraction) -> DecimalValue:
        return DecimalValue(value=to_scale(value, CHART_SCALE), scale=CHART_SCALE)

    return ChartOut(
        name=chart.name,
        title=chart.title,
        unit=chart.unit,
        categories=list(chart.categories),
        series=[SeriesOut(name=s.name, values=[number(v) for v in s.values]) for s in chart.series],
        reference=number(chart.reference) if chart.reference is not None else None,
        reference_label=chart.reference_label,
        svg=svg,
    )


def _plain(item: Any) -> dict[str, Any]:
    return dict(asdict(item))
