"""Checkpoints: a service tells every pilot, through a signed event on the stream, what it has applied
and the digest of its views, so any operator can compare all services without reaching their machines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.event import Event
from ess_contracts.ops import CheckpointRecorded
from ess_core.messaging.bookkeeping import BOOKKEEPING
from ess_core.messaging.digests import view_digest
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import applied, consumer_position, dead_letters, parked
from ess_core.messaging.view_idiom import View

log = logging.getLogger(__name__)


async def checkpoint_figures(
    conn: AsyncConnection,
    views: Sequence[View],
    reporting_service: str,
    trust_hash: str,
    own_views: Sequence[View] = (),
    agreed_position: int | None = None,
) -> CheckpointRecorded:
    """Read in one snapshot: the highest stream sequence of an applied event (or the agreed position the
    fold stands at), their count, the digest of the views every service holds, of those only this kind
    of service holds (`own_views`), and of the projection's bookkeeping."""
    count = select(func.count())
    mark = await conn.scalar(
        select(consumer_position.c.applied_count).where(consumer_position.c.consumer == "view")
    )
    position = agreed_position
    if position is None:
        position = await conn.scalar(select(func.max(applied.c.stream_seq))) or 0
    return CheckpointRecorded(
        reporting_service=reporting_service,
        stream_sequence=position,
        applied_events=mark or 0,
        view_digest=await view_digest(conn, views),
        parked=await conn.scalar(count.select_from(parked)) or 0,
        dead_letters=await conn.scalar(count.select_from(dead_letters)) or 0,
        catalogue_version=CATALOGUE_VERSION,
        trust_hash=trust_hash,
        own_view_digest=await view_digest(conn, own_views) if own_views else None,
        bookkeeping_digest=await view_digest(conn, [BOOKKEEPING]),
        agreed_position=agreed_position is not None,
    )


async def snapshot(engine: AsyncEngine) -> AsyncConnection:
    """A connection whose reads all see one committed state (PostgreSQL reads per statement otherwise)."""
    conn = await engine.connect()
    if engine.dialect.name == "postgresql":
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


class Checkpointer:
    """Publishes a checkpoint when the view changed since the last one, at most once per interval, and
    at once when asked (`request`). The checkpoint goes through the outbox like any act."""

    def __init__(
        self,
        engine: AsyncEngine,
        views: Sequence[View],
        outbox: Outbox,
        trust_hash: str,
        interval: float,
        after_commit: Callable[[], None] = lambda: None,
        own_views: Sequence[View] = (),
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.engine = engine
        self.views = views
        self.own_views = own_views
        self.outbox = outbox
        self.trust_hash = trust_hash
        self.interval = interval
        self.after_commit = after_commit
        self.settle = settle
        self._asked = asyncio.Event()
        self._last: tuple[object, ...] | None = None

    @property
    def name(self) -> str:
        return f"{self.outbox.pilot}-{self.outbox.service}"

    def request(self) -> None:
        self._asked.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):  # wait_for can swallow a cancel in 3.11
                    await self._asked.wait()
            forced = self._asked.is_set()
            self._asked.clear()
            try:
                await self.checkpoint(forced)
            except Exception:  # database or broker away: the next interval tries again
                log.warning("checkpoint failed", exc_info=True)

    async def checkpoint(self, forced: bool = False) -> Event | None:
        if self.settle is not None:
            await self.settle()
        conn = await snapshot(self.engine)
        try:
            async with conn.begin():
                figures = await checkpoint_figures(
                    conn, self.views, self.name, self.trust_hash, self.own_views
                )
        finally:
            await conn.close()
        key = (
            figures.applied_events,
            figures.parked,
            figures.dead_letters,
            figures.view_digest,
            figures.own_view_digest,
            figures.bookkeeping_digest,
        )
        if not forced and (figures.applied_events == 0 or key == self._last):
            return None
        async with self.engine.begin() as tx:
            [event] = await self.outbox.record(tx, self.outbox.service, [figures])
        self._last = key
        self.after_commit()
        return event
