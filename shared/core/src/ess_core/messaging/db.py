"""Engines for the embedded default (SQLite files) and deployments (PostgreSQL), both async."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Delete, Insert, Table, bindparam, delete, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from ess_core.messaging import sqlite_writer


def sqlite_url(path: str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_engine(url: str, *, writer: bool = True) -> AsyncEngine:
    """`writer=False` for tools that only read (ess status) so they never wait on the writer's lock."""
    if url.startswith("sqlite"):
        parsed = make_url(url)
        if writer and parsed.drivername == "sqlite+aiosqlite":  # BEGIN IMMEDIATE, one writer at a time
            parsed = parsed.set(drivername=f"sqlite+{sqlite_writer.DRIVER}")
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers (ess status) run beside the writer; FULL sync because this file is the truth
    # for the service's own acts. Writers begin IMMEDIATE (sqlite_writer): no lock upgrade to fail.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # an erased row's bytes are overwritten, not left in free pages
    cursor.close()


# Statements are built once per (dialect, table, keys): building one costs more than running it on SQLite.
_Key = tuple[str, str, tuple[str, ...] | None]
_INSERT_IGNORING: dict[_Key, Insert] = {}
_UPSERT: dict[_Key, Insert] = {}


def _dialect(name: str) -> Any:
    return postgresql if name == "postgresql" else sqlite


def insert_ignoring_statement(dialect: str, table: Table, keys: Iterable[str] | None = None) -> Insert:
    key = (dialect, table.name, tuple(keys) if keys else None)
    stmt = _INSERT_IGNORING.get(key)
    if stmt is None or stmt.table is not table:
        stmt = (
            _dialect(dialect).insert(table).on_conflict_do_nothing(index_elements=list(key[2] or ()) or None)
        )
        _INSERT_IGNORING[key] = stmt
    return stmt


def upsert_statement(dialect: str, table: Table, keys: Sequence[str]) -> Insert:
    key = (dialect, table.name, tuple(keys))
    stmt = _UPSERT.get(key)
    if stmt is None or stmt.table is not table:
        base = _dialect(dialect).insert(table)
        updates = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys}
        stmt = base.on_conflict_do_update(index_elements=list(keys), set_=updates)
        _UPSERT[key] = stmt
    return stmt


@functools.cache
def delete_matching(table: Table, columns: tuple[str, ...]) -> Delete:
    """DELETE the rows whose `columns` equal the parameters of the same names, built once per table and
    columns like the statements above."""
    return delete(table).where(*(table.c[name] == bindparam(name) for name in columns))


async def insert_ignoring_conflicts(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Iterable[str] | None = None
) -> None:
    """Insert rows, skipping those whose key already exists (a redelivered message, a second copy)."""
    if not rows:
        return
    await conn.execute(insert_ignoring_statement(conn.dialect.name, table, keys), list(rows))


async def upsert(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    await conn.execute(upsert_statement(conn.dialect.name, table, keys), list(rows))


async def upsert_columns(conn: AsyncConnection, table: Table, row: Mapping[str, Any]) -> None:
    """Insert the row, or update the columns it names (and only those) where its key exists."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = _dialect(conn.dialect.name).insert(table).values(dict(row))
    updates = {name: stmt.excluded[name] for name in row if name not in keys}
    await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))
