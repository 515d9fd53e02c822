"""A service's SQLite file has one writer at a time; inside the service, hand the write lock over at once.

Every transaction on a writer engine opens with ``BEGIN IMMEDIATE``. When another connection of the same
process holds SQLite's lock, SQLite's busy handler sleeps 1, 2, 5 ... 100 ms between tries: under 32
clients intake's writers waited 34 ms at p90 for a lock that had been free most of that time. Here the
writers of one engine queue on an ``asyncio.Lock`` instead, taken before ``BEGIN IMMEDIATE`` and given to
the next one when the COMMIT or ROLLBACK has returned. The busy timeout stays, for other processes
(``ess`` tools, a backup).

The lock is released exactly once per transaction: by the commit or rollback of the connection that holds
it, or by that connection's close (an invalidated connection is closed, never committed).

Each statement is one trip to aiosqlite's thread (`OneTripCursor`): SQLAlchemy's adapter makes four (open
a cursor, execute, fetch, close), and each trip costs the event loop a wake-up through its self-pipe and
the GIL handed over twice; a submission's statements made those trips the largest cost of intake and of
the funding folds (bench/README.md, "Where the live path's CPU goes"). SQLite's own work stays on that
thread, beside the loop (running it on the loop's thread was tried and dropped: it lost that overlap).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "ess_aiosqlite"
LOCK_WAIT_S = 30.0  # as SQLite's busy_timeout


@dataclass
class WriteTurns:
    """Since the engine was made: the write transactions that took their turn, and how long they waited
    for it in all (GET /metrics shows both: contention on a service's file)."""

    taken: int = 0
    waited_seconds: float = 0.0


Outcome = tuple[Any, list[Any] | None, int, int | None]
"""What a statement left: description, rows (None without a result), rowcount, lastrowid."""


def _statement(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """Run on aiosqlite's thread: one statement from cursor to close, its rows fetched."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement goes to aiosqlite's thread once, rows and counts coming back."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing is left open on the driver's side

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(_statement, driver._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows else collections.deque()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        return OneTripConnection(self, super().connect(*arg, **kw)._connection)


class WriterSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite with ``BEGIN IMMEDIATE``, an in-process write lock (one dialect per engine) and one trip to
    its thread per statement."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))

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
            # not wait_for: on Python 3.11 it drops a cancellation that arrives as the lock is granted
            # (the task then runs on, its stop lost)
            async with asyncio.timeout(LOCK_WAIT_S):
                await lock.acquire()
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


def _together(conn: sqlite3.Connection, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
    """Run on aiosqlite's thread: statements that return nothing, each with its rows."""
    cursor = conn.cursor()
    try:
        for operation, rows in statements:
            cursor.executemany(operation, rows)
    finally:
        cursor.close()


async def write_together(
    conn: AsyncConnection, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]
) -> bool:
    """Statements that return nothing (qmark SQL, each with its rows) in one trip to aiosqlite's thread,
    inside `conn`'s open transaction; False, nothing done, when `conn` is not on this dialect (the caller
    sends them one by one). They pass beside SQLAlchemy: no statement events, no compiled cache."""
    raw = await conn.get_raw_connection()
    adapted = raw.dbapi_connection
    if not isinstance(adapted, OneTripConnection):
        return False
    driver = adapted._connection
    async with adapted._execute_mutex:
        await driver._execute(_together, driver._conn, statements)
    return True
