"""The report's input and the rows and charts its sections share.

Money is in euros with two decimals, indicator values at their indicator's scale, shares and medians with
one decimal, all rounded half away from zero: in the CSV as `12500.50`, on the page as « 12 500,50 € »
(`report_words`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ess_contracts.reference.labels import CHART_SERIES
from ess_evaluation.domain import report_words as w
from ess_evaluation.domain.indicators import Actual, Evaluator
from ess_evaluation.domain.report_model import Cell, Chart, Column, Section, Series, Table
from ess_evaluation.domain.reviews import Due, Review, status_as_of
from ess_evaluation.domain.sessions import Session

COUNTS = ("projects_submitted", "projects_qualified", "projects_oriented", "projects_funded")
FUNDS = ("funds_requested", "funds_committed", "funds_disbursed")
LABELS = {  # a metric's key in the CSV and the API (its French words: report_words)
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


def show(value: Fraction | None, unit: str, scale: int = 0) -> Cell:
    """An indicator's figure: 12 500,00 €, 60,5 %, 42 jours or 3 on the page, as the console shows them."""
    if value is None:
        return Cell("", "")
    if unit == "cents":
        return w.number(value / 100, 2, " €")
    return w.number(value, scale, {"percent": "\u202f%", "days": " jours"}.get(unit, ""))


def actuals(data: ReportInput) -> list[Actual]:
    ev = data.evaluator
    return [ev.actual(indicator, data.year) for indicator in ev.indicators.values()]


def actual_row(a: Actual) -> tuple[str | Cell, ...]:
    i = a.indicator
    percent = a.percent_of_target
    return (
        i.code,
        i.title,
        w.word(i.kind, w.INDICATOR_KINDS),
        w.word(i.source, w.INDICATOR_SOURCES),
        w.word("EUR" if i.unit == "cents" else i.unit, w.UNITS),
        w.word(i.direction, w.DIRECTIONS),
        show(a.target, i.unit, i.scale),
        show(a.value, i.unit, i.scale),
        w.percent(percent, 0) if percent is not None else "",
        w.word(a.status.replace("_", " "), w.TARGET_STATUSES),
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
        series=(
            Series(
                "actual", tuple(a.percent_of_target or Fraction(0) for a in shown), CHART_SERIES["actual"]
            ),
        ),
        reference=Fraction(100),
        reference_label="cible",
        unit_label="% de la cible de l'année",
        category_names=tuple(f"{a.indicator.code} — {a.indicator.title}" for a in shown),
    )


def review_rows(data: ReportInput) -> list[tuple[str | Cell, ...]]:
    projects = data.evaluator.portfolio.projects
    rows: list[tuple[str | Cell, ...]] = []
    for s in status_as_of(data.dues, data.reviews, data.as_of):
        if s.due.due_on.year > data.year or (s.due.due_on.year < data.year and s.state != "overdue"):
            continue
        project = projects.get(s.due.project_id)
        r = s.review
        rows.append(
            (
                s.due.project_id,
                w.department(project.department) if project else "",
                str(s.due.milestone_months),
                w.day(s.due.first_committed_on),
                w.day(s.due.due_on),
                w.word(s.state, w.REVIEW_STATES),
                w.day(r.reviewed_on) if r else "",
                w.word("yes" if r.still_operating else "no", w.YES_NO) if r else "",
                w.count(r.jobs_created) if r else "",
                w.count(r.jobs_kept) if r else "",
            )
        )
    return rows


OBJECTIVE_TITLES = w.OBJECTIVE_TITLES
DEPARTMENT_NAMES = w.DEPARTMENT_NAMES
PILOT_NAMES = w.PILOT_NAMES


def table(name: str, title: str, columns: tuple[str, ...], rows: Sequence[tuple[str | Cell, ...]]) -> Table:
    """A table of the report: its columns by their CSV keys (headed in French by `report_words.COLUMNS`),
    each cell a `Cell`, or a text the CSV and the page both hold as it is (codes, titles, small counts)."""
    return Table(
        name,
        title,
        tuple(Column(key, w.COLUMNS[key]) for key in columns),
        tuple(tuple(c if isinstance(c, Cell) else Cell(c, c) for c in row) for row in rows),
    )


def section(title: str, intro: str, tables: list[Table], charts: list[Chart]) -> Section:
    return Section(title, intro, tuple(tables), tuple(charts))
