"""A service's own account of itself: outbox backlog, applied position, parked and dead letters,
the digest of its views. Read from its database, so `ess status` can read it the same way."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.digests import view_digest
from ess_core.messaging.schema import consumer_position, dead_letters, outbox, parked
from ess_core.messaging.view_idiom import View
from ess_core.service.probe import probe


class ServiceStatus(BaseModel):
    pilot: str | None = None  # who answers: set by the service's /status, absent in a read of its database
    service: str | None = None
    outbox_total: int
    outbox_backlog: int
    applied_position: int
    applied_events: int
    parked: int
    dead_letters: int
    probes: list[str]
    view_digest: str | None = None


async def read_status(conn: AsyncConnection, views: Sequence[View] | None = None) -> ServiceStatus:
    count = select(func.count())
    mark = (
        await conn.execute(select(consumer_position).where(consumer_position.c.consumer == "view"))
    ).first()
    return ServiceStatus(
        outbox_total=await conn.scalar(count.select_from(outbox)) or 0,
        outbox_backlog=await conn.scalar(count.select_from(outbox).where(outbox.c.stream_seq.is_(None))) or 0,
        applied_position=mark.stream_seq if mark else 0,
        applied_events=mark.applied_count if mark else 0,
        parked=await conn.scalar(count.select_from(parked)) or 0,
        dead_letters=await conn.scalar(count.select_from(dead_letters)) or 0,
        probes=list((await conn.scalars(select(probe.c.probe_id).order_by(probe.c.probe_id))).all()),
        view_digest=await view_digest(conn, views) if views is not None else None,
    )
