"""Crypto-shredding, the author's act: destroy the data keys of a project's sealed texts and say so on
the stream, in one transaction (the rows deleted, the signed `project_data_key_destroyed` events in the
outbox); then purge every pilot's copy from the key store, forget the opened key, and leave no old copy
in the database's files (`compact`). `ErasureReactor` does it in every service once a project's erasure
request reaches its view. A field the service must keep by law (art. 17(3)(b), its settings' legal
holds) has its key kept and marked held, with the reason, instead (`hold_keys`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.privacy import DataKeyDestroyed, ErasureReason
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import data_key, erased_text, erasure_request
from ess_core.privacy.keyring import Keyring

log = logging.getLogger(__name__)
CHECKPOINT_TRIES = 100
REACT_SECONDS = 1.0


async def destroy_keys(
    conn: AsyncConnection,
    outbox: Outbox,
    project_id: str,
    reason: ErasureReason,
    on: date,
    *,
    fields: Collection[str] | None = None,
    request_id: str | None = None,
) -> list[str]:
    """Inside the act's transaction: the project's keys (of `fields`, or all), deleted and announced. On an
    erasure request, keys held by law stay (`hold_keys`); a rectification or retention takes them too."""
    query = select(data_key.c.key_id, data_key.c.field).where(data_key.c.aggregate_id == project_id)
    if reason == "erasure_request":
        query = query.where(data_key.c.held_reason.is_(None))
    if fields is not None:
        query = query.where(data_key.c.field.in_(fields))
    rows = (await conn.execute(query.order_by(data_key.c.key_id))).all()
    if not rows:
        return []
    ids = [key_id for key_id, _ in rows]
    await conn.execute(delete(data_key).where(data_key.c.key_id.in_(ids)))
    payloads = [
        DataKeyDestroyed(key=key_id, field=field, destroyed_on=on, reason=reason, request_id=request_id)
        for key_id, field in rows
    ]
    await outbox.record(conn, project_id, payloads)
    return ids


async def hold_keys(
    conn: AsyncConnection, project_id: str, holds: Mapping[str, str], on: date, request_id: str
) -> list[str]:
    """Inside the erasure's transaction, before `destroy_keys`: the project's keys of the fields this
    service must keep by law are marked held with the reason, once (the first request names it), and
    stay. The fields held."""
    if not holds:
        return []
    own = (data_key.c.aggregate_id == project_id) & data_key.c.field.in_(holds)
    rows = (await conn.execute(select(data_key.c.key_id, data_key.c.field).where(own))).all()
    for key_id, field in rows:
        await conn.execute(
            update(data_key)
            .where((data_key.c.key_id == key_id) & data_key.c.held_reason.is_(None))
            .values(held_reason=holds[field], held_since=on.isoformat(), held_for=request_id)
        )
    return sorted(field for _, field in rows)


async def compact(engine: AsyncEngine, tables: Sequence[Table]) -> None:
    """After an erasure commits, leave no old copy of the erased rows in the database's files: PostgreSQL
    rewrites the tables (`VACUUM FULL`: dead tuples gone; its WAL keeps them until its retention ends,
    docs/privacy/keys.md), SQLite folds its write-ahead log back and truncates it (deleted rows were
    already overwritten: `secure_delete`)."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                await autocommit.exec_driver_sql(f'VACUUM FULL "{table.name}"')
        return
    database = str(engine.url.database)
    for _ in range(CHECKPOINT_TRIES):  # it needs a moment without readers: the projection reads often
        if await asyncio.to_thread(_truncate_wal, database):
            return
        await asyncio.sleep(0.05)
    log.warning("after an erasure the write-ahead log could not be truncated: erased rows wait there")


def _truncate_wal(database: str) -> bool:
    """On a connection of its own (the engine's pooled ones refuse: "database table is locked")."""
    connection = sqlite3.connect(database, timeout=5)
    try:
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        connection.close()
    return not busy


async def purge_copies(keyring: Keyring, key_ids: Sequence[str]) -> None:
    """After the commit: no pilot's copy stays in the key store, no opened key in this process."""
    for key_id in key_ids:
        keyring.forget(key_id)
        if keyring.store is not None:
            await keyring.store.purge(key_id)


class ErasureReactor:
    """In every service: once a project's erasure request has reached the view, destroy this service's own
    data keys for the project (a funder's remarks, a reviewer's notes), each destruction signed, then
    purge their copies and compact; keys of fields held by law stay, marked held. Keys made later for the
    project go the same way: it stays erased."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Outbox,
        keyring: Keyring,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
        holds: Mapping[str, str],
    ) -> None:
        self.engine, self.outbox, self.keyring, self.transaction = engine, outbox, keyring, transaction
        self.holds = holds

    async def run(self) -> None:
        while True:
            try:
                await self.react()
            except Exception:  # a database busy or a broker away: the next round tries again
                log.warning("carrying out erasure requests failed; trying again", exc_info=True)
            await asyncio.sleep(REACT_SECONDS)

    async def react(self) -> list[str]:
        """The keys destroyed in this round; the keyring learns every key the view says is destroyed."""
        owned = (data_key.c.aggregate_id == erasure_request.c.project_id) & data_key.c.held_reason.is_(None)
        query = select(erasure_request.c.project_id, erasure_request.c.request_id).join(data_key, owned)
        async with self.engine.connect() as conn:
            self.keyring.learn_erased(frozenset(await conn.scalars(select(erased_text.c.key_id))))
            pending = sorted(
                {(str(project_id), str(request_id)) for project_id, request_id in await conn.execute(query)}
            )
        destroyed: list[str] = []
        for project_id, request_id in pending:
            async with self.transaction() as conn:
                today = datetime.now(UTC).date()
                await hold_keys(conn, project_id, self.holds, today, request_id)
                destroyed += await destroy_keys(
                    conn, self.outbox, project_id, "erasure_request", today, request_id=request_id
                )
        if destroyed:
            await purge_copies(self.keyring, destroyed)
            await compact(self.engine, (data_key,))
        return destroyed
