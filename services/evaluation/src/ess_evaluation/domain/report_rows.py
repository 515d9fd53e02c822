"""The report's input and the rows and charts its sections share.

Money shows in euros with two decimals, indicator values at their indicator's scale, shares and medians
with one decimal, all rounded half away from zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ess_contracts.reference.strategy import DEPARTMENTS, OBJECTIVES, PILOT_INFO
from ess_evaluation.domain.indicators import Actual, Evaluator
from ess_evaluation.domain.numbers import decimal_text
from ess_evaluation.domain.report_model import Chart, Section, Series, Table
from ess_evaluation.domain.reviews import Due, Review, status_as_of
from ess_evaluation.domain.sessions import Session

COUNTS = ("projects_submitted", "projects_qualified", "projects_oriented", "projects_funded")
FUNDS = ("funds_requested", "funds_committed", "funds_disbursed")
LABELS = {
    "projects_submitted": "submitted",
    "projects_qualified": "qualified",
    "projects_oriented": "oriented",
    "projects_funded": "funded",
    "jobs_planned": "jobs planned",
    "funds_requested": "requested (EUR)",
    "funds_committed": "committed (EUR)",
    "funds_disbursed": "disbursed (EUR)",
}


@dataclass(frozen=True)
class ReportInput:
    year: int
    as_of: date
    evaluator: Evaluator
    dues: tuple[Due, ...] = ()
    reviews: tuple[Review, ...] = ()
    sessions: tuple[Session, ...] = ()
    view_digest: str | None = None


def show(value: Fraction | None, unit: str, scale: int = 0) -> str:
    if value is None:
        return ""
    return decimal_text(value / 100, 2) if unit == "cents" else decimal_text(value, scale)


def actuals(data: ReportInput) -> list[Actual]:
    ev = data.evaluator
    return [ev.actual(indicator, data.year) for indicator in ev.indicators.values()]


def actual_row(a: Actual) -> tuple[str, ...]:
    i = a.indicator
    percent = a.percent_of_target
    return (
        i.code,
        i.title,
        i.kind,
        i.source,
        "EUR" if i.unit == "cents" else i.unit,
        i.direction,
        show(a.target, i.unit, i.scale),
        show(a.value, i.unit, i.scale),
        decimal_text(percent, 0) if percent is not None else "",
        a.status.replace("_", " "),
    )


ACTUAL_COLUMNS = (
    "indicator",
    "title",
    "kind",
    "source",
    "unit",
    "direction",
    "target",
    "actual",
    "% of target",
    "status",
)


def percent_chart(name: str, title: str, rows: list[Actual]) -> Chart:
    shown = [a for a in rows if a.percent_of_target is not None]
    return Chart(
        name=name,
        title=title,
        unit="% of target",
        categories=tuple(a.indicator.code for a in shown),
        series=(Series("actual", tuple(a.percent_of_target or Fraction(0) for a in shown)),),
        reference=Fraction(100),
        reference_label="target",
    )


def review_rows(data: ReportInput) -> list[tuple[str, ...]]:
    projects = data.evaluator.portfolio.projects
    rows: list[tuple[str, ...]] = []
    for s in status_as_of(data.dues, data.reviews, data.as_of):
        if s.due.due_on.year > data.year or (s.due.due_on.year < data.year and s.state != "overdue"):
            continue
        project = projects.get(s.due.project_id)
        r = s.review
        rows.append(
            (
                s.due.project_id,
                project.department if project else "",
                str(s.due.milestone_months),
                s.due.first_committed_on.isoformat(),
                s.due.due_on.isoformat(),
                s.state,
                r.reviewed_on.isoformat() if r else "",
                ("yes" if r.still_operating else "no") if r else "",
                str(r.jobs_created) if r else "",
                str(r.jobs_kept) if r else "",
            )
        )
    return rows


OBJECTIVE_TITLES = {o.code: o.title for o in OBJECTIVES}
DEPARTMENT_NAMES = {d.code: d.name for d in DEPARTMENTS}
PILOT_NAMES = {p.code: p.name for p in PILOT_INFO}


def table(name: str, title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> Table:
    return Table(name, title, columns, tuple(rows))


def section(title: str, intro: str, tables: list[Table], charts: list[Chart]) -> Section:
    return Section(title, intro, tuple(tables), tuple(charts))
