"""Orientations of projects to networks, and the facts the "not accepted in time" query needs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import network, orientation, project
from ess_intake.domain.orientation import OrientationClock


async def add(conn: AsyncConnection, project_id: str, network_ids: tuple[str, ...], on: str) -> None:
    if network_ids:
        rows = [{"project_id": project_id, "network_id": n, "oriented_on": on} for n in network_ids]
        await conn.execute(insert(orientation), rows)


async def find(conn: AsyncConnection, project_id: str, network_id: str) -> RowMapping | None:
    key = (orientation.c.project_id == project_id) & (orientation.c.network_id == network_id)
    return (await conn.execute(select(orientation).where(key))).mappings().first()


async def answer(
    conn: AsyncConnection, project_id: str, network_id: str, answer: str, on: str, reason: str | None
) -> None:
    key = (orientation.c.project_id == project_id) & (orientation.c.network_id == network_id)
    values = {"answer": answer, "answered_on": on, "decline_reason": reason}
    await conn.execute(update(orientation).where(key).values(values))


async def of_project(conn: AsyncConnection, project_id: str) -> list[dict[str, object]]:
    query = (
        select(orientation, network.c.name.label("network_name"))
        .join(network, network.c.network_id == orientation.c.network_id)
        .where(orientation.c.project_id == project_id)
        .order_by(orientation.c.network_id)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def clocks(conn: AsyncConnection) -> list[OrientationClock]:
    """Every eligible project's orientation facts, for the rule in `domain.orientation` (as of a date)."""
    eligible = select(
        project.c.project_id, project.c.qualified_on, project.c.oriented_since, project.c.ended_on
    ).where(project.c.eligible.is_(True))
    accepted = select(orientation.c.project_id, orientation.c.answered_on).where(
        orientation.c.answer == "accepted"
    )
    acceptances: dict[str, list[date]] = defaultdict(list)
    for row in await conn.execute(accepted):
        acceptances[row.project_id].append(date.fromisoformat(row.answered_on))
    return [
        OrientationClock(
            project_id=r.project_id,
            waiting_since=date.fromisoformat(r.oriented_since or r.qualified_on),
            ended_on=date.fromisoformat(r.ended_on) if r.ended_on else None,
            accepted_on=tuple(acceptances[r.project_id]),
        )
        for r in await conn.execute(eligible.order_by(project.c.project_id))
    ]


async def to_networks(conn: AsyncConnection, network_ids: list[str] | None) -> list[dict[str, object]]:
    """Orientations to these networks (to every network when None), newest first, each with its project's
    status and public record (the title in it still sealed)."""
    query = (
        select(
            orientation,
            network.c.name.label("network_name"),
            project.c.status,
            project.c.department,
            project.c.record,
        )
        .join(network, network.c.network_id == orientation.c.network_id)
        .join(project, project.c.project_id == orientation.c.project_id)
        .order_by(orientation.c.oriented_on.desc(), orientation.c.project_id, orientation.c.network_id)
    )
    if network_ids is not None:
        query = query.where(orientation.c.network_id.in_(network_ids))
    return [dict(r) for r in (await conn.execute(query)).mappings()]
