"""One writer at a time on a service's SQLite file, handed over in process (messaging.sqlite_writer): no
writer of the service waits in SQLite's busy handler, and whatever ends a transaction gives the turn on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ess_core.messaging import sqlite_writer
from ess_core.messaging.db import make_engine, sqlite_url

metadata = MetaData()
rows = Table("rows", metadata, Column("n", Integer, primary_key=True))


def without_busy_wait(engine: AsyncEngine) -> AsyncEngine:
    """SQLite answers 'database is locked' at once instead of sleeping: a writer that finds the lock taken
    by another connection fails, so a test sees every wait the in-process hand-over did not prevent."""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    return engine


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[str]:
    url = sqlite_url(str(tmp_path / "service.db"))
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    yield url


async def write_slowly(engine: AsyncEngine, n: int) -> None:
    """A transaction that holds the lock across awaits, as a handler does between its statements."""
    async with engine.begin() as conn:
        await conn.execute(select(func.count()).select_from(rows))
        await asyncio.sleep(0.002)
        await conn.execute(insert(rows).values(n=n))


def write_lock(engine: AsyncEngine) -> asyncio.Lock:
    dialect = engine.dialect
    assert isinstance(dialect, sqlite_writer.WriterSQLiteDialect)
    return dialect.write_lock


async def test_concurrent_writers_take_turns_without_sqlite_busy_waits(database: str) -> None:
    engine = without_busy_wait(make_engine(database))
    try:
        await asyncio.gather(*(write_slowly(engine, n) for n in range(40)))
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(rows))).scalar_one() == 40
        assert not write_lock(engine).locked()
        turns = engine.dialect.turns  # type: ignore[attr-defined]
        assert turns.taken == 41 and turns.waited_seconds > 0.002  # 40 writers and the count; they queued
    finally:
        await engine.dispose()


async def test_without_the_hand_over_the_same_writers_collide(database: str) -> None:
    """The control: plain aiosqlite with BEGIN IMMEDIATE and no busy wait, the same load fails."""
    engine = without_busy_wait(create_async_engine(database))

    @event.listens_for(engine.sync_engine, "begin")
    def _immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "connect")
    def _autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    try:
        outcomes = await asyncio.gather(*(write_slowly(engine, n) for n in range(40)), return_exceptions=True)
        assert any(isinstance(o, OperationalError) and "locked" in str(o) for o in outcomes)
    finally:
        await engine.dispose()


async def test_a_rollback_a_cancelled_task_and_an_invalidated_connection_each_give_the_turn_on(
    database: str,
) -> None:
    engine = make_engine(database)
    lock = write_lock(engine)
    try:
        with pytest.raises(ZeroDivisionError):
            async with engine.begin() as conn:
                await conn.execute(insert(rows).values(n=1))
                raise ZeroDivisionError
        assert not lock.locked()

        entered = asyncio.Event()

        async def held_then_cancelled() -> None:
            async with engine.begin() as conn:
                await conn.execute(insert(rows).values(n=2))
                entered.set()
                await asyncio.sleep(3600)

        task = asyncio.create_task(held_then_cancelled())
        await entered.wait()
        assert lock.locked()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(write_slowly(engine, 3), 5)

        async with engine.connect() as conn:
            await conn.execute(insert(rows).values(n=4))
            assert lock.locked()
            await conn.invalidate()
        assert not lock.locked()
        await asyncio.wait_for(write_slowly(engine, 5), 5)

        async with engine.connect() as conn:
            kept = sorted((await conn.execute(select(rows.c.n))).scalars())
        assert kept == [3, 5]  # the rolled back, cancelled and invalidated writes are gone
    finally:
        await engine.dispose()


async def test_a_connection_returned_to_the_pool_does_not_release_anothers_turn(database: str) -> None:
    """The pool rolls back every connection it takes back; only the holder's end of its own transaction
    gives the turn on."""
    engine = make_engine(database)
    lock = write_lock(engine)
    try:
        idle = await engine.connect()
        await idle.execute(select(1))
        await idle.commit()
        async with engine.begin() as holder:
            await holder.execute(insert(rows).values(n=1))
            await idle.close()  # checked in: the pool's reset rolls it back
            assert lock.locked()
        assert not lock.locked()
    finally:
        await engine.dispose()


async def test_a_writer_that_never_gets_its_turn_says_so(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writer, "LOCK_WAIT_S", 0.2)
    engine = make_engine(database)
    try:
        async with engine.begin() as holder:
            await holder.execute(insert(rows).values(n=1))
            with pytest.raises(OperationalError, match="no write turn within 0 s"):
                async with engine.begin() as late:
                    await late.execute(insert(rows).values(n=2))
        await write_slowly(engine, 3)  # the holder's commit gave the turn on; the late one holds nothing
    finally:
        await engine.dispose()


async def test_readers_of_the_file_do_not_queue_behind_the_writer(database: str) -> None:
    writer, reader = make_engine(database), make_engine(database, writer=False)
    try:
        async with writer.begin() as holder:
            await holder.execute(insert(rows).values(n=1))
            async with reader.connect() as conn:
                seen = await asyncio.wait_for(conn.execute(select(func.count()).select_from(rows)), 5)
                assert seen.scalar_one() == 0  # WAL: the committed state, without waiting
    finally:
        await writer.dispose()
        await reader.dispose()
