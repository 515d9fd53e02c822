"""A service's SQLite file has one writer at a time; inside the service, hand the write lock over at once.

Every transaction on a writer engine opens with ``BEGIN IMMEDIATE``. When another connection of the same
process holds SQLite's lock, SQLite's busy handler sleeps 1, 2, 5 ... 100 ms between tries: under 32
clients intake's writers waited 34 ms at p90 for a lock that had been free most of that time. Here the
writers of one engine queue on an ``asyncio.Lock`` instead, taken before ``BEGIN IMMEDIATE`` and given to
the next one when the COMMIT or ROLLBACK has returned. The busy timeout stays, for other processes
(``ess`` tools, a backup).

The lock is released exactly once per transaction: by the commit or rollback of the connection that holds
it, or by that connection's close (an invalidated connection is closed, never committed).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "ess_aiosqlite"
LOCK_WAIT_S = 30.0  # as SQLite's busy_timeout


@dataclass
class WriteTurns:
    """Since the engine was made: the write transactions that took their turn, and how long they waited
    for it in all (GET /metrics shows both: contention on a service's file)."""

    taken: int = 0
    waited_seconds: float = 0.0


class WriterSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite with ``BEGIN IMMEDIATE`` and an in-process write lock (one dialect per engine)."""

    supports_statement_cache = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._held: tuple[object, asyncio.Lock] | None = None
        self.turns = WriteTurns()

    def do_begin(self, dbapi_connection: DBAPIConnection) -> None:
        if in_greenlet():  # always, under the async engine; a sync caller only gets SQLite's own waiting
            lock = self.write_lock
            await_(self._acquire(lock))
            self._held = (_raw(dbapi_connection), lock)
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            cursor.close()
        except BaseException:
            self._release(dbapi_connection)
            raise

    def do_commit(self, dbapi_connection: DBAPIConnection) -> None:
        self._ending(super().do_commit, dbapi_connection)

    def do_rollback(self, dbapi_connection: DBAPIConnection) -> None:
        self._ending(super().do_rollback, dbapi_connection)

    def do_close(self, dbapi_connection: DBAPIConnection) -> None:
        self._ending(super().do_close, dbapi_connection)

    def do_terminate(self, dbapi_connection: DBAPIConnection) -> None:
        self._ending(super().do_terminate, dbapi_connection)

    def _ending(self, end: Callable[[DBAPIConnection], None], dbapi_connection: DBAPIConnection) -> None:
        """A transaction ends (commit, rollback) or its connection goes (close, terminate): then the turn."""
        try:
            end(dbapi_connection)
        finally:
            self._release(dbapi_connection)

    @property
    def write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self, lock: asyncio.Lock) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(lock.acquire(), LOCK_WAIT_S)
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked: no write turn within {LOCK_WAIT_S:.0f} s in this process"
            ) from None
        self.turns.taken += 1
        self.turns.waited_seconds += time.perf_counter() - started

    def _release(self, dbapi_connection: DBAPIConnection) -> None:
        """Only the holder's end of its transaction releases (a pool's reset rolls back idle ones too)."""
        if self._held is None or self._held[0] is not _raw(dbapi_connection):
            return
        _, lock = self._held
        self._held = None
        lock.release()


def _raw(connection: object) -> object:
    """The driver's connection: a transaction's begin and end see the pool's proxy of it, its close the
    connection itself."""
    return getattr(connection, "dbapi_connection", None) or connection


registry.register(f"sqlite.{DRIVER}", __name__, "WriterSQLiteDialect")
