"""What a view is to the projection runner (the digest that proves two copies agree: `digests`).

A view folds events with `apply`, one event at a time; `HandlerView` writes one as a table of handlers by
event type. A view may also say what to write instead of writing it (`WritingView.writes`): the runner
then gathers the writes of a whole batch into a few executemany statements, which replaying a stream
needs (one round trip per statement otherwise).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import (
    Executable,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.event import Event
from ess_core.messaging.db import insert_ignoring_statement, upsert_statement


class View(Protocol):
    """A fold of the stream into tables. `apply` must commute across issuers: the runner guarantees one
    issuer's events arrive in that issuer's sequence, and nothing about the order between issuers."""

    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> Sequence[Table]: ...

    @property
    def digest_excluded(self) -> frozenset[str]:
        """Columns kept out of the digest (stream sequences renumber when a stream is republished)."""
        ...

    def handles(self, event_type: str) -> bool: ...

    async def apply(self, conn: AsyncConnection, event: Event) -> None: ...


Handler = Callable[[AsyncConnection, Event, Any], Awaitable[None]]


class HandlerView:
    """A view defined by a table of handlers by event type (who handles what, at one glance)."""

    name: str
    tables: Sequence[Table]
    handlers: Mapping[str, Handler]
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in self.handlers

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await self.handlers[event.type](conn, event, event.payload)


@dataclass(frozen=True, slots=True)
class InsertIgnore:
    """Insert the rows; a row whose key (`keys`, else any unique constraint) exists already is skipped."""

    table: Table
    rows: Sequence[Mapping[str, Any]]
    keys: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Upsert:
    """Insert the rows, or replace every other column of the row with the same `keys`."""

    table: Table
    rows: Sequence[Mapping[str, Any]]
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Update:
    """Set `values` on the rows whose columns equal `where` (every pair)."""

    table: Table
    where: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Replace:
    """Delete the rows whose columns equal `match`, then insert `rows` (each completed with `match`): the
    child rows of one act, set again by its latest event. `match` names the leading columns of the
    table's primary key, so replaces of different groups touch different rows; a table written with
    `Replace` in a batch is written with nothing else in it (`gather` checks)."""

    table: Table
    match: Mapping[str, Any]
    rows: Sequence[Mapping[str, Any]]


Write = InsertIgnore | Upsert | Update | Replace


@runtime_checkable
class WritingView(View, Protocol):
    """A view whose fold only writes, and says what: `writes(event)` returns the writes `apply` would do,
    in order, without reading the database. Each row it writes belongs to one issuer's run of events
    (pilot, service, aggregate, id), so the writes of events of different issuers touch different rows.

    That lets the runner gather a batch (`gather`): each write goes to the first step after every earlier
    write of the batch to the same row; steps run in order, and inside a step the writes of one kind run
    together, one executemany per statement. Writes to one row thus keep their order, writes to different
    rows commute (nothing reads), and the rows end the same as with `apply` one event after another. Its
    rows are written at the end of the batch: no other view may read them during the fold (views never
    read each other's tables)."""

    def writes(self, event: Event) -> Sequence[Write]: ...


async def execute_writes(conn: AsyncConnection, writes: Sequence[Write]) -> None:
    """The writes of one event, one after another (a writing view's `apply`)."""
    await execute_waves(conn, [(0, writes)])


def gather(events: Iterable[Sequence[Write]]) -> list[tuple[int, Sequence[Write]]]:
    """A batch's writes (each event's, in the order `apply` would run them) as (step, [write]) for
    `execute_waves`: a write's step is one after the last step that wrote any of its rows, so a row's
    writes keep their order and the rest share statements. A row is known by the table's primary key; a
    write that does not name it (an update by other columns, or of the key; a table with another unique
    constraint) counts as writing the whole table.

    An update of one row whose last write in the batch was an update or a one-row upsert is folded into
    that write (`_merge`): the row ends the same, with one statement fewer and no extra step."""
    last: dict[tuple[str, tuple[Any, ...]], int] = {}
    table_last: dict[str, int] = {}
    table_whole: dict[str, int] = {}
    open_to: dict[tuple[str, tuple[Any, ...]], int] = {}  # row -> index in `out` of a write it can fold into
    out: list[tuple[int, Sequence[Write]]] = []
    replaced: dict[str, bool] = {}  # table -> written with Replace (True) or with row writes (False)
    for writes in events:
        for write in writes:
            name, rows = write.table.name, _row_keys(write)
            if replaced.setdefault(name, isinstance(write, Replace)) != isinstance(write, Replace):
                raise ValueError(f"{name} is written with Replace and with other writes in one batch")
            if rows is None:
                step = table_last.get(name, -1) + 1
                table_whole[name] = step
            else:
                if isinstance(write, Update):
                    at = open_to.get((name, rows[0]))
                    # not past a write to the whole table made since (its step would be higher)
                    if at is not None and table_whole.get(name, -1) < out[at][0]:
                        out[at] = (out[at][0], (_merge(out[at][1][0], write),))
                        continue
                step = table_whole.get(name, -1)
                for row in rows:
                    step = max(step, last.get((name, row), -1))
                step += 1
                for row in rows:
                    last[(name, row)] = step
                    open_to.pop((name, row), None)
                if isinstance(write, Update) or (isinstance(write, Upsert) and len(write.rows) == 1):
                    open_to[(name, rows[0])] = len(out)
            if step > table_last.get(name, -1):
                table_last[name] = step
            out.append((step, (write,)))
    return out


def _merge(first: Write, update: Update) -> Write:
    """`first` then `update` of the same row, as one write."""
    if isinstance(first, Update):
        return Update(first.table, first.where, {**first.values, **update.values})
    assert isinstance(first, Upsert)  # an upsert sets every column: the update's values join its row
    return Upsert(first.table, [{**first.rows[0], **update.values}], first.keys)


@functools.cache
def _primary_key(table: Table) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The table's primary key columns, or None when another unique constraint could make two rows with
    different keys collide."""
    others = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    if others or any(i.unique for i in table.indexes) or any(c.unique for c in table.columns):
        return None
    key = tuple(c.name for c in table.primary_key.columns)
    return (key, frozenset(key)) if key else None


def _row_keys(write: Write) -> list[tuple[Any, ...]] | None:
    """The primary keys of the rows the write touches, or None when it cannot say (the whole table)."""
    found = _primary_key(write.table)
    if found is None:
        return None
    key, names = found
    if isinstance(write, Replace):  # a group: the rows under these leading key columns
        if set(write.match) != set(key[: len(write.match)]):
            return None
        return [("replace", *(write.match[k] for k in key[: len(write.match)]))]
    try:
        if isinstance(write, Update):
            if write.where.keys() != names or not names.isdisjoint(write.values):
                return None
            return [tuple(write.where[k] for k in key)]
        if write.keys is not None and write.keys != key and set(write.keys) != names:
            return None
        return [tuple(row[k] for k in key) for row in write.rows]
    except KeyError:  # a row that leaves a key column to its default
        return None


Signature = tuple[str, str, tuple[str, ...] | None, tuple[str, ...]]
"""(kind, table, key or where columns, value columns): writes with the same signature share a statement."""


def _items(write: Write) -> list[tuple[Signature, dict[str, Any]]]:
    """One (statement signature, parameters) per row the write touches."""
    name = write.table.name
    if isinstance(write, Replace):  # the delete first: its statement group is seen first in its wave
        match = tuple(sorted(write.match))
        deleting = (("delete", name, match, ()), {f"w_{k}": v for k, v in write.match.items()})
        return [
            deleting,
            *((("insert", name, None, (*match, *row)), {**write.match, **row}) for row in write.rows),
        ]
    if isinstance(write, Update):
        where, values = tuple(sorted(write.where)), tuple(sorted(write.values))
        params = {
            **{f"w_{k}": v for k, v in write.where.items()},
            **{f"v_{k}": v for k, v in write.values.items()},
        }
        return [(("update", name, where, values), params)]
    kind = "insert" if isinstance(write, InsertIgnore) else "upsert"
    # rows keep their columns in the order written (rows built alike share a statement); a row that is
    # a dict already is passed as it is: executemany only reads it
    return [
        ((kind, name, write.keys, tuple(row)), row if type(row) is dict else dict(row)) for row in write.rows
    ]


_STATEMENTS: dict[tuple[str, Table, Signature], Executable] = {}


def _statement(dialect: str, table: Table, sig: Signature) -> Executable:
    cached = _STATEMENTS.get((dialect, table, sig))
    if cached is not None:
        return cached
    kind, _, keys, columns = sig
    if kind in ("update", "delete"):
        where = and_(*(table.c[k] == bindparam(f"w_{k}") for k in keys or ()))
        stmt: Executable = (
            delete(table).where(where)
            if kind == "delete"
            else update(table).where(where).values({c: bindparam(f"v_{c}") for c in columns})
        )
    elif kind == "insert":
        stmt = insert_ignoring_statement(dialect, table, keys)
    else:
        stmt = upsert_statement(dialect, table, keys or ())
    _STATEMENTS[(dialect, table, sig)] = stmt
    return stmt


async def execute_waves(conn: AsyncConnection, waves: Sequence[tuple[int, Sequence[Write]]]) -> int:
    """Run each event's writes, given as (wave, writes), grouped as `WritingView` says; returns the number
    of statements sent."""
    groups: dict[tuple[int, int, Signature], tuple[Table, list[dict[str, Any]]]] = {}
    for wave, writes in waves:
        for position, write in enumerate(writes):
            for sig, row in _items(write):
                groups.setdefault((wave, position, sig), (write.table, []))[1].append(row)
    dialect = conn.dialect.name
    sent = 0
    for key in sorted(groups, key=lambda k: (k[0], k[1])):  # stable: first seen first within a step
        table, params = groups[key]
        stmt = _statement(dialect, table, key[2])
        for chunk in _distinct_keys(key[2], params):
            await conn.execute(stmt, chunk)
            sent += 1
    return sent


def _distinct_keys(sig: Signature, params: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """An upsert sends no two rows with the same key in one statement (PostgreSQL refuses to change a row
    twice in one INSERT ... ON CONFLICT DO UPDATE): cut the rows where a key comes again."""
    if sig[0] != "upsert" or len(params) < 2:
        return [params]
    keys = sig[2] or ()
    chunks: list[list[dict[str, Any]]] = [[]]
    seen: set[tuple[Any, ...]] = set()
    for row in params:
        key = tuple(row.get(k) for k in keys)
        if key in seen:
            chunks.append([])
            seen = set()
        seen.add(key)
        chunks[-1].append(row)
    return chunks
