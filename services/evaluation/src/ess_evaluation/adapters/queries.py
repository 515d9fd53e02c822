"""Reading the evaluation views into domain objects. Small tables (a region's strategy and projects), so
the rules run over whole tables in memory, the same code for every question."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_evaluation.adapters import rows as r
from ess_evaluation.adapters import tables as t
from ess_evaluation.domain.indicators import Evaluator
from ess_evaluation.domain.portfolio import Portfolio, Project
from ess_evaluation.domain.reviews import Due, Review
from ess_evaluation.domain.sessions import Session
from ess_evaluation.domain.strategy import ActionDef, IndicatorDef, Measure, in_force


async def _rows(conn: AsyncConnection, table: Table) -> list[Any]:
    query = select(table).order_by(*table.primary_key.columns)
    return list((await conn.execute(query)).mappings())


async def actions(conn: AsyncConnection) -> dict[str, ActionDef]:
    return in_force(r.action(row) for row in await _rows(conn, t.action))


async def indicators(conn: AsyncConnection) -> dict[str, IndicatorDef]:
    targets: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in await _rows(conn, t.indicator_target):
        targets[(row["code"], row["pilot"])].append(row)
    rows = await _rows(conn, t.indicator)
    return in_force(r.indicator(row, targets[(row["code"], row["pilot"])]) for row in rows)


async def measures(conn: AsyncConnection) -> list[Measure]:
    return [r.measure(row) for row in await _rows(conn, t.measure)]


async def portfolio(conn: AsyncConnection) -> Portfolio:
    projects: dict[str, Project] = {}
    rows = sorted(await _rows(conn, t.project), key=lambda row: (row["submitted_on"], row["pilot"]))
    for row in rows:  # one intake per project; were there two, the first submission would stand
        projects.setdefault(row["project_id"], r.project(row))
    return Portfolio(
        projects=projects,
        requests=tuple(r.request(row) for row in await _rows(conn, t.funding_request)),
        decisions=tuple(r.decision(row) for row in await _rows(conn, t.decision)),
        commitments=tuple(r.commitment(row) for row in await _rows(conn, t.commitment)),
        disbursements=tuple(r.disbursement(row) for row in await _rows(conn, t.disbursement)),
        opinions=tuple(r.opinion(row) for row in await _rows(conn, t.opinion)),
        cofunder_lines=tuple(r.cofunder_line(row) for row in await _rows(conn, t.cofunder_line)),
    )


async def evaluator(conn: AsyncConnection) -> Evaluator:
    return Evaluator(await portfolio(conn), await actions(conn), await indicators(conn), await measures(conn))


async def dues(conn: AsyncConnection) -> list[Due]:
    return [r.due(row) for row in await _rows(conn, t.review_due)]


async def reviews(conn: AsyncConnection) -> list[Review]:
    return [r.review(row) for row in await _rows(conn, t.review)]


async def sessions(conn: AsyncConnection) -> list[Session]:
    items: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in await _rows(conn, t.session_item):
        items[(row["session_id"], row["pilot"])].append(row)
    return [r.session(row, items[(row["session_id"], row["pilot"])]) for row in await _rows(conn, t.session)]


async def reports(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(row) for row in await _rows(conn, t.report)]
