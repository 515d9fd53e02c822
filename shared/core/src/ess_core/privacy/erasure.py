"""Crypto-shredding, the author's act: destroy the data keys of a project's sealed texts and say so on
the stream, in one transaction (the rows deleted, the signed `project_data_key_destroyed` events in the
outbox); then purge every pilot's copy from the key store and forget the opened key. SQLite overwrites deleted
rows (`secure_delete`, ess_core.messaging.db); on PostgreSQL the operator runs `VACUUM FULL` on
`ess_data_key` (docs/privacy/keys.md)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.privacy import DataKeyDestroyed, ErasureReason
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import data_key
from ess_core.privacy.keyring import Keyring

log = logging.getLogger(__name__)
CHECKPOINT_TRIES = 100


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
    """Inside the act's transaction: the project's keys (of `fields`, or all), deleted and announced."""
    query = select(data_key.c.key_id, data_key.c.field).where(data_key.c.aggregate_id == project_id)
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
