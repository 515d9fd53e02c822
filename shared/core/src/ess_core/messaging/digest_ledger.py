"""View digests kept as rows change (docs/digest.md).

A trigger on every view table writes the key of each row inserted, updated or deleted into
`ess_digest_dirty`, whoever writes it. Settling takes each such row's old hash out of its table's LtHash
(`ess_digest_row` keeps what each row added) and puts the current row's in; a row written again as it was
changes nothing. The checkpointer settles before it reads (the fold paused), and the fold settles once many
events wait, so a digest costs what changed since the last. Reading applies what is still dirty in memory:
a digest is always that of the committed rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import Table as SqlTable
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher, key_expression
from ess_core.messaging.row_hashing import CHUNK as HASH_CHUNK
from ess_core.messaging.row_hashing import RowHashing
from ess_core.messaging.schema import digest_dirty, digest_row, digest_state
from ess_core.messaging.view_idiom import View

CHUNK = 500  # keys per IN list: well within both backends' limits on bound parameters


@dataclass(frozen=True)
class Tracked:
    """A view table: its primary key and how its rows hash."""

    table: SqlTable
    key: tuple[str, ...]
    hasher: RowHasher

    @classmethod
    def of(cls, table: SqlTable, excluded: frozenset[str]) -> Tracked:
        key = tuple(c.name for c in table.primary_key.columns)
        assert key, f"{table.name}: a view table needs a primary key to be digested row by row"
        return cls(table, key, RowHasher.of(table, excluded))

    def rows(self, conn: AsyncConnection) -> Any:
        """Each row's key as the trigger writes it, then the hashed columns."""
        keyed = key_expression(conn.dialect.name, [self.table.c[k] for k in self.key])
        return select(keyed, *self.hasher.columns(self.table))

    def dirty_rows(self, dialect: str) -> Select[Any]:
        """The rows whose keys are dirty, found by joining the dirty keys to the table on its primary key
        (the database looks each one up; no key goes through Python): each key, then the hashed columns."""
        query = _DIRTY_ROWS.get((dialect, self.table.name))
        if query is None:
            dirty = digest_dirty.c
            on = [
                self.table.c[k] == _key_part(dialect, dirty.row_key, i, self.table.c[k])
                for i, k in enumerate(self.key)
            ]
            query = (
                select(dirty.row_key, *self.hasher.columns(self.table))
                .select_from(digest_dirty.join(self.table, and_(*on)))
                .where(dirty.table_name == self.table.name)
            )
            _DIRTY_ROWS[(dialect, self.table.name)] = query
        return query


_DIRTY_ROWS: dict[tuple[str, str], Select[Any]] = {}
_KEPT_OF_DIRTY = select(digest_row.c.row_key, digest_row.c.digest).where(
    digest_row.c.table_name == bindparam("name"),
    digest_row.c.row_key.in_(
        select(digest_dirty.c.row_key).where(digest_dirty.c.table_name == bindparam("name"))
    ),
)
"""What the dirty rows of a table added to its hash when last settled: each dirty key looked up in the
kept hashes. As a join, SQLite's planner walked every kept hash of the table instead (it has no statistics
to tell a few thousand dirty keys from millions of rows), so each settle cost what the table held, not
what changed: 1 s for a table of 1.7 million rows at 1.6 million events of the national run."""


STATE_UPDATE = "UPDATE ess_digest_state SET lthash = ? WHERE table_name = ?"
"""A table's kept hash written (SQLite's parameter marks): for `appended`'s callers."""


def _state_of(name: str) -> ColumnElement[bool]:
    return digest_state.c.table_name == name


_INSERT_ROW = "INSERT INTO ess_digest_row (table_name, row_key, digest) VALUES ({}, {}, {})"
_UPSERT_ROW = _INSERT_ROW + " ON CONFLICT (table_name, row_key) DO UPDATE SET digest = excluded.digest"


async def _put_rows(conn: AsyncConnection, sql: str, rows: list[tuple[str, str, bytes]]) -> None:
    """Rows of `ess_digest_row` by the driver's own executemany: building SQLAlchemy's parameters cost
    more than the statement (a join hashes a whole snapshot's rows through here)."""
    marks = ("?", "?", "?") if conn.dialect.paramstyle == "qmark" else ("$1", "$2", "$3")
    await conn.exec_driver_sql(sql.format(*marks), rows)


def _key_part(dialect: str, row_key: Any, index: int, column: Any) -> ColumnElement[Any]:
    """Part `index` of a key written by the triggers (a JSON array), typed as the column it names."""
    if dialect == "postgresql":
        part = cast(row_key, JSONB)[index].astext
        return part if isinstance(column.type, String) else cast(part, column.type)
    return func.json_extract(row_key, f"$[{index}]")  # SQLite: text or integer, as the JSON holds


def tracked_tables(views: Sequence[View]) -> dict[str, Tracked]:
    return {t.name: Tracked.of(t, v.digest_excluded) for v in views for t in v.tables}


class DigestLedger:
    """The digests of a service's views (shared and its own), kept up to date in its database.

    A table in `appended` only ever gains rows (until a rebuild empties it): its writer hands its new rows
    to `append`, so it needs no trigger and no kept hash per row (one row per event applied, for the
    applied ids: a hash per row would double the table)."""

    def __init__(self, views: Sequence[View], appended: Sequence[SqlTable] = ()) -> None:
        self.tracked = tracked_tables(views)
        self.appended = {t.name: self.tracked[t.name] for t in appended}

    async def install(self, conn: AsyncConnection) -> None:
        """Triggers on every view table, then a full pass for any table not hashed yet (a new table, or
        the first start after this module came)."""
        triggered = [t for name, t in self.tracked.items() if name not in self.appended]
        await _install_triggers(conn, triggered)
        await _drop_triggers(conn, self.appended.values())
        hashed = set(await conn.scalars(select(digest_state.c.table_name)))
        hashing: RowHashing[list[Any]] = RowHashing()
        try:
            for name, tracked in self.tracked.items():
                if name not in hashed:
                    await _hash_all(conn, tracked, hashing, per_row=name not in self.appended)
        finally:
            await asyncio.to_thread(hashing.close)

    async def suspend(self, conn: AsyncConnection) -> None:
        """No trigger until the next `install`, in the caller's transaction: a join loads a whole snapshot
        into empty tables, then `install` hashes every row anyway (a mark per row loaded was wasted)."""
        await _drop_triggers(conn, self.tracked.values())

    async def append(
        self,
        conn: AsyncConnection,
        table: SqlTable,
        rows: Sequence[dict[str, Any]],
        known: bytes | None = None,
    ) -> bytes | None:
        """Rows just inserted into an appended table, inside the caller's transaction. `known`: the
        table's kept hash as last committed, when the caller keeps it (the fold does, between its batches:
        one statement a batch fewer), else it is read. Returns the hash now kept (None: none is kept)."""
        now = await self.hash_appended(conn, table, rows, known)
        if now is not None and now is not known:
            await conn.execute(update(digest_state).where(_state_of(table.name)).values(lthash=now))
        return now

    async def hash_appended(
        self,
        conn: AsyncConnection,
        table: SqlTable,
        rows: Sequence[dict[str, Any]],
        known: bytes | None = None,
    ) -> bytes | None:
        """What `append` writes (`known` itself when no row changes it), for a caller that writes it with
        its own statements (`STATE_UPDATE`, parameters hash then table name)."""
        entry = self.appended.get(table.name)
        if not rows or entry is None:  # a ledger that keeps no hash of this table
            return known
        hasher = entry.hasher
        state = known
        if state is None:
            state = await conn.scalar(select(digest_state.c.lthash).where(_state_of(table.name)))
        if state is None:  # not hashed yet: hashed in full at the next install
            return None
        lthash = LtHash(state)
        for row in rows:
            lthash.add(hasher.digest([row[name] for name in hasher.names]))
        return lthash.state()

    async def reset(self, conn: AsyncConnection) -> None:
        """After the views were emptied (a rebuild): every table hashes as empty."""
        names = list(self.tracked)
        for table in (digest_row, digest_dirty, digest_state):
            await conn.execute(delete(table).where(table.c.table_name.in_(names)))
        empty = LtHash().state()
        await conn.execute(insert(digest_state), [{"table_name": n, "lthash": empty} for n in names])

    async def settle(self, conn: AsyncConnection) -> int:
        """Bring every table's hash up to date with its rows, inside the caller's transaction; returns the
        number of row keys settled."""
        dirty = await _dirty(conn)
        states = await _states(conn)
        for name in dirty:
            tracked = self.tracked.get(name)
            if tracked is not None and name in states:  # else hashed in full at the next install
                await _write(conn, name, await _change(conn, tracked, states[name]))
            await conn.execute(delete(digest_dirty).where(digest_dirty.c.table_name == name))
        return sum(dirty.values())


async def kept_digests(conn: AsyncConnection, views: Sequence[View]) -> dict[str, str] | None:
    """Each view table's digest from its kept hash and what is still dirty (applied in memory, nothing
    written), or None when a table has no kept hash here (a scratch database, before the first start)."""
    states = await _states(conn)
    tracked = tracked_tables(views)
    if not set(tracked) <= set(states):
        return None
    dirty = await _dirty(conn)
    digests = {}
    for name, entry in tracked.items():
        lthash = LtHash(states[name])
        if name in dirty:
            lthash = (await _change(conn, entry, states[name])).lthash
        digests[name] = lthash.hexdigest()
    return digests


@dataclass
class _Change:
    lthash: LtHash
    gone: list[str]  # keys whose row went: their kept hash is dropped
    rows: dict[str, bytes]  # keys whose row is new or changed, and its hash


async def _change(conn: AsyncConnection, tracked: Tracked, state: bytes) -> _Change:
    """The table's hash once its dirty rows are taken out as they were and put in as they are. A row
    written again as it was (the funding plan rewrites a project's verdicts) changes nothing."""
    name = tracked.table.name
    old = {key: bytes(digest) for key, digest in await conn.execute(_KEPT_OF_DIRTY, {"name": name})}
    digest = tracked.hasher.digest
    now = {key: digest(values) for key, *values in await conn.execute(tracked.dirty_rows(conn.dialect.name))}
    change = _Change(LtHash(state), [], {})
    for key, before in old.items():
        after = now.get(key)
        if before == after:
            continue
        change.lthash.remove(before)
        if after is None:
            change.gone.append(key)
    for key, after in now.items():
        if old.get(key) != after:
            change.lthash.add(after)
            change.rows[key] = after
    return change


async def _write(conn: AsyncConnection, name: str, change: _Change) -> None:
    for chunk in _chunks(change.gone):
        where = (digest_row.c.table_name == name) & digest_row.c.row_key.in_(chunk)
        await conn.execute(delete(digest_row).where(where))
    if change.rows:
        await _put_rows(conn, _UPSERT_ROW, [(name, key, digest) for key, digest in change.rows.items()])
    state = update(digest_state).where(digest_state.c.table_name == name)
    await conn.execute(state.values(lthash=change.lthash.state()))


async def _hash_all(
    conn: AsyncConnection, tracked: Tracked, hashing: RowHashing[list[Any]], per_row: bool = True
) -> None:
    """The table's hash from every row; `per_row`: and what each row added (not for an appended table).
    The rows are streamed, not fetched whole: a national snapshot's largest table is millions of rows."""
    name, lthash, names = tracked.table.name, LtHash(), tracked.hasher.names
    for table in (digest_row, digest_dirty):
        await conn.execute(delete(table).where(table.c.table_name == name))

    async def keep(keys: list[Any], state: bytes, digests: list[bytes]) -> None:
        lthash.add_state(state)
        if per_row:
            await _put_rows(conn, _INSERT_ROW, [(name, k, d) for k, d in zip(keys, digests, strict=True)])

    values = tuple(range(1, len(names) + 1))  # each row is its key, then the hashed columns
    stream = await conn.stream(tracked.rows(conn).execution_options(yield_per=HASH_CHUNK))
    async for partition in stream.partitions(HASH_CHUNK):
        rows = [tuple(row) for row in partition]
        hashing.submit([row[0] for row in rows], names, rows, values)
        async for done in hashing.ready():
            await keep(*done)
    async for done in hashing.drained():
        await keep(*done)
    await conn.execute(insert(digest_state), [{"table_name": name, "lthash": lthash.state()}])


async def _dirty(conn: AsyncConnection) -> dict[str, int]:
    """How many keys are dirty, by table."""
    query = select(digest_dirty.c.table_name, func.count()).group_by(digest_dirty.c.table_name)
    return {name: count for name, count in await conn.execute(query)}


async def _states(conn: AsyncConnection) -> dict[str, bytes]:
    result = await conn.execute(select(digest_state.c.table_name, digest_state.c.lthash))
    return {name: bytes(state) for name, state in result}


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- triggers -----------------------------------------------------------------------------------------------

# One function for every table: the key's columns come as the trigger's arguments. The key is built as
# jsonb, whose text is the same as `row_hash.key_expression` gives for the row.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ess_digest_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k text;
    new_key jsonb := '[]'::jsonb;
    old_key jsonb := '[]'::jsonb;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        FOREACH k IN ARRAY TG_ARGV LOOP
            new_key := new_key || jsonb_build_array(to_jsonb(NEW) -> k);
        END LOOP;
        INSERT INTO ess_digest_dirty (table_name, row_key) VALUES (TG_TABLE_NAME, new_key::text)
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        FOREACH k IN ARRAY TG_ARGV LOOP
            old_key := old_key || jsonb_build_array(to_jsonb(OLD) -> k);
        END LOOP;
        IF old_key IS DISTINCT FROM new_key THEN
            INSERT INTO ess_digest_dirty (table_name, row_key) VALUES (TG_TABLE_NAME, old_key::text)
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$
"""


async def _install_triggers(conn: AsyncConnection, tracked: Iterable[Tracked]) -> None:
    """Installed again at every start (dropped first), so a changed trigger reaches every database."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(_PG_FUNCTION))
        for entry in tracked:
            table, args = entry.table.name, ", ".join(f"'{k}'" for k in entry.key)
            await conn.execute(text(f'DROP TRIGGER IF EXISTS ess_digest ON "{table}"'))
            await conn.execute(
                text(
                    f'CREATE TRIGGER ess_digest AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION ess_digest_mark({args})"
                )
            )
        return
    for entry in tracked:
        for statement in _sqlite_triggers(entry):
            await conn.execute(text(statement))


async def _drop_triggers(conn: AsyncConnection, tracked: Iterable[Tracked]) -> None:
    for entry in tracked:
        table = entry.table.name
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f'DROP TRIGGER IF EXISTS ess_digest ON "{table}"'))
            continue
        for event in ("insert", "update", "delete"):
            await conn.execute(text(f'DROP TRIGGER IF EXISTS "ess_digest_{table}_{event}"'))


def _sqlite_triggers(entry: Tracked) -> list[str]:
    table = entry.table.name

    def mark(row: str) -> str:
        # not INSERT OR IGNORE: inside a trigger, the conflict policy of the statement that fired it wins
        key = "json_array(" + ", ".join(f'{row}."{k}"' for k in entry.key) + ")"
        return (
            f"INSERT INTO ess_digest_dirty (table_name, row_key) SELECT '{table}', {key} WHERE NOT EXISTS "
            f"(SELECT 1 FROM ess_digest_dirty WHERE table_name = '{table}' AND row_key = {key});"
        )

    def trigger(event: str, body: str) -> str:
        name = f"ess_digest_{table}_{event.lower()}"
        return f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN {body} END'

    return [
        *(f'DROP TRIGGER IF EXISTS "ess_digest_{table}_{e}"' for e in ("insert", "update", "delete")),
        trigger("INSERT", mark("NEW")),
        trigger("UPDATE", mark("OLD") + " " + mark("NEW")),
        trigger("DELETE", mark("OLD")),
    ]
