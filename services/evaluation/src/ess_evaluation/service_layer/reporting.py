"""The annual report from a view: read the view, build the report (domain), render its files (adapters).
The same code serves `ess report` (reading a database) and the publish act (inside its transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.digests import view_digest
from ess_core.messaging.view_idiom import View
from ess_evaluation.adapters import queries
from ess_evaluation.adapters.report_files import INDEX, render, sha256, tables_sha256
from ess_evaluation.adapters.svg import bar_chart
from ess_evaluation.domain.calendar import year_end
from ess_evaluation.domain.report import build
from ess_evaluation.domain.report_model import Chart
from ess_evaluation.domain.report_rows import ReportInput

__all__ = ["INDEX", "drawn_charts", "read_input", "render_from", "sha256", "tables_sha256"]


async def read_input(
    conn: AsyncConnection, year: int, as_of: date | None, views: Sequence[View]
) -> ReportInput:
    return ReportInput(
        year=year,
        as_of=as_of or year_end(year),
        evaluator=await queries.evaluator(conn),
        dues=tuple(await queries.dues(conn)),
        reviews=tuple(await queries.reviews(conn)),
        sessions=tuple(await queries.sessions(conn)),
        view_digest=await view_digest(conn, views) if views else None,
    )


async def render_from(
    conn: AsyncConnection, year: int, as_of: date | None, views: Sequence[View]
) -> dict[str, bytes]:
    return render(build(await read_input(conn, year, as_of, views)))


async def drawn_charts(conn: AsyncConnection, year: int, as_of: date | None) -> list[tuple[Chart, str]]:
    """The report's charts for the year, each with its SVG: the same drawing as its `charts/<name>.svg`.
    No view digest: a chart does not carry one, and computing it would cost every read."""
    report = build(await read_input(conn, year, as_of, ()))
    return [(chart, bar_chart(chart)) for chart in report.charts]
