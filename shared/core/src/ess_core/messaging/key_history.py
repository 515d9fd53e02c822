"""Reading back, from the stream, what each ended signing key signed (ess_contracts.key_history), and
forgetting views that applied something it did not: they are folded again from the first event."""

from __future__ import annotations

import logging

from nats.js.manager import JetStreamManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_contracts.signing import TrustStore
from ess_core.messaging.reader import read_stream
from ess_core.messaging.schema import applied

log = logging.getLogger(__name__)


async def read_key_history(js: JetStreamManager, trust: TrustStore) -> list[str]:
    """Walk every ended key's chain through the events its pilot's services put on the stream; returns
    what could not be found (those events wait, parked, for the next start)."""
    history = trust.history
    if not history.runs:
        return []
    for subjects in history.subjects():
        async for message in read_stream(js, subjects):
            history.note(message.data, message.headers)
    missing = history.walk()
    for line in missing:
        log.warning("key history incomplete: %s; its events stay parked until the next start", line)
    return missing


async def applied_unvouched(engine: AsyncEngine, trust: TrustStore) -> int:
    """How many events the views applied that an ended key's statement now refuses (applied before this
    service's trust file listed the end)."""
    refused = sorted(trust.history.refused_ids)
    found = 0
    async with engine.connect() as conn:
        for start in range(0, len(refused), 500):
            chunk = refused[start : start + 500]
            found += len(
                (await conn.scalars(select(applied.c.event_id).where(applied.c.event_id.in_(chunk)))).all()
            )
    return found
