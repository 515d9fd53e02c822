"""View digests kept as rows change (docs/digest.md).

A trigger on every view table writes the key of each row inserted, updated or deleted into
`ess_digest_dirty`, whoever writes it. Settling takes each such row's old hash out of its table's LtHash
(`ess_digest_row` keeps what each row added) and puts the current row's in; a row written again as it was
changes nothing. The checkpointer settles before it reads (the fold paused), and the fold settles once many
events wait, so a digest costs what changed since the last. Reading applies what is still dirty in memory:
a digest is always that of the committed rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table as SqlTable
from sqlalchemy import delete, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher, key_expression
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


def tracked_tables(views: Sequence[View]) -> dict[str, Tracked]:
    return {t.name: Tracked.of(t, v.digest_excluded) for v in views for t in v.tables}


class DigestLedger:
    """The digests of a service's views (shared and its own), kept up to date in its database."""

    def __init__(self, views: Sequence[View]) -> None:
        self.tracked = tracked_tables(views)

    async def install(self, conn: AsyncConnection) -> None:
        """Triggers on every view table, then a full pass for any table not hashed yet (a new table, or
        the first start after this module came)."""
        await _install_triggers(conn, self.tracked.values())
        hashed = set(await conn.scalars(select(digest_state.c.table_name)))
        for name, tracked in self.tracked.items():
            if name not in hashed:
                await _hash_all(conn, tracked)

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
        for name, keys in dirty.items():
            tracked = self.tracked.get(name)
            if tracked is not None and name in states:  # else hashed in full at the next install
                await _write(conn, name, await _change(conn, tracked, keys, states[name]))
            for chunk in _chunks(sorted(keys)):
                where = (digest_dirty.c.table_name == name) & digest_dirty.c.row_key.in_(chunk)
                await conn.execute(delete(digest_dirty).where(where))
        return sum(len(keys) for keys in dirty.values())


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
            lthash = (await _change(conn, entry, dirty[name], states[name])).lthash
        digests[name] = lthash.hexdigest()
    return digests


@dataclass
class _Change:
    lthash: LtHash
    gone: list[str]  # keys whose row changed or went: their kept hash is replaced or dropped
    rows: dict[str, bytes]  # keys whose row is new or changed, and its hash


async def _change(conn: AsyncConnection, tracked: Tracked, keys: set[str], state: bytes) -> _Change:
    """The table's hash once the dirty rows are taken out as they were and put in as they are. A row
    written again as it was (the funding plan rewrites a project's verdicts) changes nothing."""
    ordered, name = sorted(keys), tracked.table.name
    old: dict[str, bytes] = {}
    for chunk in _chunks(ordered):
        query = select(digest_row.c.row_key, digest_row.c.digest).where(
            digest_row.c.table_name == name, digest_row.c.row_key.in_(chunk)
        )
        old.update({key: bytes(digest) for key, digest in await conn.execute(query)})
    now: dict[str, bytes] = {}
    columns = [tracked.table.c[k] for k in tracked.key]
    for chunk in _chunks(ordered):
        wanted = [tuple(json.loads(key)) for key in chunk]
        where = columns[0].in_([v[0] for v in wanted]) if len(columns) == 1 else tuple_(*columns).in_(wanted)
        for key, *values in await conn.execute(tracked.rows(conn).where(where)):
            now[key] = tracked.hasher.digest(values)
    change = _Change(LtHash(state), [], {})
    for key in ordered:
        before, after = old.get(key), now.get(key)
        if before == after:
            continue
        if before is not None:
            change.lthash.remove(before)
            change.gone.append(key)
        if after is not None:
            change.lthash.add(after)
            change.rows[key] = after
    return change


async def _write(conn: AsyncConnection, name: str, change: _Change) -> None:
    for chunk in _chunks(change.gone):
        where = (digest_row.c.table_name == name) & digest_row.c.row_key.in_(chunk)
        await conn.execute(delete(digest_row).where(where))
    if change.rows:
        rows = [{"table_name": name, "row_key": k, "digest": d} for k, d in change.rows.items()]
        await conn.execute(insert(digest_row), rows)
    state = update(digest_state).where(digest_state.c.table_name == name)
    await conn.execute(state.values(lthash=change.lthash.state()))


async def _hash_all(conn: AsyncConnection, tracked: Tracked) -> None:
    name, lthash = tracked.table.name, LtHash()
    for table in (digest_row, digest_dirty):
        await conn.execute(delete(table).where(table.c.table_name == name))
    rows: list[dict[str, Any]] = []
    for key, *values in await conn.execute(tracked.rows(conn)):
        digest = tracked.hasher.digest(values)
        lthash.add(digest)
        rows.append({"table_name": name, "row_key": key, "digest": digest})
        if len(rows) >= 5_000:
            await conn.execute(insert(digest_row), rows)
            rows = []
    if rows:
        await conn.execute(insert(digest_row), rows)
    await conn.execute(insert(digest_state), [{"table_name": name, "lthash": lthash.state()}])


async def _dirty(conn: AsyncConnection) -> dict[str, set[str]]:
    dirty: dict[str, set[str]] = defaultdict(set)
    for name, key in await conn.execute(select(digest_dirty.c.table_name, digest_dirty.c.row_key)):
        dirty[name].add(key)
    return dirty


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
