"""A project's history, read from the outbox journal: the events intake issued about it, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.event import Event
from ess_core.messaging.schema import outbox


async def project_events(conn: AsyncConnection, project_id: str) -> list[Event]:
    query = (
        select(outbox.c.data)
        .where(outbox.c.aggregate == "project", outbox.c.aggregate_id == project_id)
        .order_by(outbox.c.sequence)
    )
    return [Event.model_validate_json(data) for data in await conn.scalars(query)]
