"""At each agreed position of the stream (every `ESS_AGREED_EVERY` sequences, the same for the whole
federation) a service signs a checkpoint of exactly the events up to it, in the transaction that applied
the last of them, so services of every pilot sign digests of the same set; now and then it also writes a
snapshot of its views and bookkeeping as they stand there, for another service to start from
(docs/snapshots.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_core.messaging.bookkeeping import BOOKKEEPING
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import consumer_position
from ess_core.messaging.view_idiom import View
from ess_core.service.checkpoints import checkpoint_figures, snapshot
from ess_core.snapshots.format import SnapshotHeader, write_snapshot
from ess_core.snapshots.store import SnapshotStore

log = logging.getLogger(__name__)


def snapshot_tables(views: Sequence[View]) -> list[Table]:
    """What a snapshot holds: every view's tables and the projection's bookkeeping (the consumer's mark
    is the header's position, not a row: a service's other consumers are its own)."""
    return [t for view in [*views, BOOKKEEPING] for t in view.tables]


@dataclass
class SnapshotProducer:
    """Writes a snapshot at an agreed position every `every` agreed positions, and at the next one when
    asked; one at a time, in the background, from a read transaction opened before the fold moves on."""

    reader: AsyncEngine  # not the writer engine: a long read must not hold the writers' turn
    store: SnapshotStore
    tables: list[Table]
    pilot: str
    service: str
    trust_hash: str
    every: int = 10
    kept: int = 2
    requested: bool = False
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def due(self, ordinal: int) -> bool:
        busy = self._task is not None and not self._task.done()
        return not busy and (self.requested or (self.every > 0 and ordinal % self.every == 0))

    async def start(self, position: int) -> None:
        """Pin the views as they stand at `position` (the fold is paused until this returns), then write
        them out in the background."""
        self.requested = False
        conn = await snapshot(self.reader)
        try:
            mark = await _pinned_mark(conn)
        except BaseException:
            await conn.close()
            raise
        if mark is None or mark[0] != position:
            await conn.close()
            return
        header = SnapshotHeader(
            pilot=self.pilot,
            service=self.service,
            position=position,
            applied_events=mark[1],
            catalogue_version=CATALOGUE_VERSION,
            trust_hash=self.trust_hash,
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            tables={},
        )
        self._task = asyncio.create_task(self._write(conn, header))

    async def _write(self, conn: AsyncConnection, header: SnapshotHeader) -> None:
        try:
            written = await write_snapshot(conn, self.tables, header, self.store.path(header.position))
            log.info("snapshot at stream sequence %s: %s rows", header.position, sum(written.tables.values()))
            self.store.prune(self.kept)
        except Exception:
            log.warning("snapshot at stream sequence %s failed", header.position, exc_info=True)
        finally:
            await conn.close()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def _pinned_mark(conn: AsyncConnection) -> tuple[int, int] | None:
    """Open a read transaction that sees one committed state from here on (SQLite in WAL mode: from its
    first read; PostgreSQL: repeatable read, set by `snapshot`), and read the fold's mark in it."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("BEGIN")  # the reader's connections run in autocommit otherwise
    query = select(consumer_position.c.stream_seq, consumer_position.c.applied_count).where(
        consumer_position.c.consumer == "view"
    )
    row = (await conn.execute(query)).first()
    return (row.stream_seq, row.applied_count) if row else None


@dataclass
class AgreedCheckpoints:
    """The runner's `AgreedPositions` for a service."""

    every: int
    ledger: DigestLedger
    views: Sequence[View]
    own_views: Sequence[View]
    outbox: Outbox
    trust_hash: str
    after_commit: Callable[[], None]
    snapshots: SnapshotProducer | None = None

    async def sign(self, conn: AsyncConnection, position: int) -> None:
        await self.ledger.settle(conn)
        name = f"{self.outbox.pilot}-{self.outbox.service}"
        figures = await checkpoint_figures(
            conn, self.views, name, self.trust_hash, self.own_views, agreed_position=position
        )
        await self.outbox.record(conn, self.outbox.service, [figures])

    async def committed(self, position: int) -> None:
        self.after_commit()
        if self.snapshots is not None and self.snapshots.due(position // self.every):
            await self.snapshots.start(position)
