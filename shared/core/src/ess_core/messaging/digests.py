"""The digests that prove two copies of a view agree (docs/digest.md): a table's is the LtHash of its
rows' SHA-256, so it does not depend on their order, and it is kept as rows change, so a checkpoint costs
what changed since the last, not the size of the views.

A trigger on every view table writes the key of each row inserted, updated or deleted into
`ess_digest_dirty`, whoever writes it. Before its batch commits, the fold settles them: for each key it
takes the row's old hash out of the table's LtHash (`ess_digest_row` keeps what each row added) and puts
the current row's in. Reading a digest applies what is still dirty in memory, so a digest is always that
of the committed rows, and always equal to `table_digest`, which reads every row (a scratch database, one
project's rows, the tools that recompute a digest from the stream alone).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.canonical import canonical_bytes
from ess_core.messaging.lthash import LtHash
from ess_core.messaging.schema import digest_dirty, digest_row, digest_state
from ess_core.messaging.view_idiom import View

CHUNK = 500  # keys per IN list: well within both backends' limits on bound parameters


def row_digest(row: Any, excluded: frozenset[str] = frozenset()) -> bytes:
    """SHA-256 of a row's canonical bytes: RFC 8785 JSON of its columns (bytes as lowercase hex)."""
    plain = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items() if k not in excluded}
    return hashlib.sha256(canonical_bytes(plain)).digest()


async def table_digest(
    conn: AsyncConnection,
    table: Table,
    excluded: frozenset[str] = frozenset(),
    where: ColumnElement[bool] | None = None,
) -> str:
    """A table's digest from every row (or those `where` selects: one project's)."""
    query = select(table) if where is None else select(table).where(where)
    lthash = LtHash()
    for row in (await conn.execute(query)).mappings():
        lthash.add(row_digest(row, excluded))
    return lthash.hexdigest()


async def view_digest(conn: AsyncConnection, views: Sequence[View]) -> str:
    """SHA-256 over `<table>:<table digest>` lines, views by name, tables by name within a view; from the
    kept hashes where this database keeps them, from every row otherwise."""
    kept = await tracked_digests(conn, views)
    digest = hashlib.sha256()
    for view in sorted(views, key=lambda v: v.name):
        for table in sorted(view.tables, key=lambda t: t.name):
            value = kept[table.name] if kept else await table_digest(conn, table, view.digest_excluded)
            digest.update(f"{table.name}:{value}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Tracked:
    table: Table
    excluded: frozenset[str]
    key: tuple[str, ...]

    def key_of(self, row: Any) -> tuple[Any, ...]:
        return tuple(row[k] for k in self.key)


def key_text(values: Iterable[Any]) -> str:
    """A row key as this module stores it: compact JSON, whatever the trigger's dialect wrote."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


class DigestLedger:
    """The digests of a service's views (shared and its own), kept up to date in its database."""

    def __init__(self, views: Sequence[View]) -> None:
        self.tracked: dict[str, Tracked] = {}
        for view in views:
            for table in view.tables:
                key = tuple(c.name for c in table.primary_key.columns)
                assert key, f"{table.name}: a view table needs a primary key to be digested row by row"
                self.tracked[table.name] = Tracked(table, view.digest_excluded, key)

    async def install(self, conn: AsyncConnection) -> None:
        """Triggers on every view table, then a full pass for any table not hashed yet (a new table, or
        the first start after this module came)."""
        await _install_triggers(conn, self.tracked.values())
        hashed = set(await conn.scalars(select(digest_state.c.table_name)))
        for name, tracked in self.tracked.items():
            if name not in hashed:
                await self._hash_all(conn, tracked)

    async def reset(self, conn: AsyncConnection) -> None:
        """After the views were emptied (a rebuild): every table hashes as empty."""
        names = list(self.tracked)
        await conn.execute(delete(digest_row).where(digest_row.c.table_name.in_(names)))
        await conn.execute(delete(digest_dirty).where(digest_dirty.c.table_name.in_(names)))
        await conn.execute(delete(digest_state).where(digest_state.c.table_name.in_(names)))
        empty = LtHash().state()
        await conn.execute(insert(digest_state), [{"table_name": n, "lthash": empty} for n in names])

    async def settle(self, conn: AsyncConnection) -> int:
        """Bring every table's hash up to date with its rows, inside the caller's transaction; returns the
        number of row keys settled."""
        dirty = await _dirty(conn)
        states = await _states(conn)
        for name, raw_keys in dirty.items():
            tracked = self.tracked.get(name)
            if tracked is None or name not in states:
                continue  # not a view of this service, or hashed in full at the next install
            change = await _change(conn, tracked, raw_keys, states[name])
            await _write(conn, name, change)
        for name, raw_keys in dirty.items():
            for chunk in _chunks(sorted(raw_keys)):
                await conn.execute(
                    delete(digest_dirty).where(
                        digest_dirty.c.table_name == name, digest_dirty.c.row_key.in_(chunk)
                    )
                )
        return sum(len(keys) for keys in dirty.values())

    async def _hash_all(self, conn: AsyncConnection, tracked: Tracked) -> None:
        name, lthash = tracked.table.name, LtHash()
        await conn.execute(delete(digest_row).where(digest_row.c.table_name == name))
        await conn.execute(delete(digest_dirty).where(digest_dirty.c.table_name == name))
        rows: list[dict[str, Any]] = []
        for row in (await conn.execute(select(tracked.table))).mappings():
            digest = row_digest(row, tracked.excluded)
            lthash.add(digest)
            rows.append({"table_name": name, "row_key": key_text(tracked.key_of(row)), "digest": digest})
            if len(rows) >= 5_000:
                await conn.execute(insert(digest_row), rows)
                rows = []
        if rows:
            await conn.execute(insert(digest_row), rows)
        await conn.execute(insert(digest_state), [{"table_name": name, "lthash": lthash.state()}])


async def tracked_digests(conn: AsyncConnection, views: Sequence[View]) -> dict[str, str] | None:
    """Each view table's digest from its kept hash and what is still dirty (applied in memory, nothing
    written), or None when a table has no kept hash here (a scratch database, before the first start)."""
    states = await _states(conn)
    tracked = DigestLedger(views).tracked
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
    keys: list[str]
    rows: dict[str, bytes]


async def _change(conn: AsyncConnection, tracked: Tracked, raw_keys: set[str], state: bytes) -> _Change:
    """The table's hash once the dirty rows are taken out as they were and put in as they are."""
    values = {key_text(json.loads(raw)): tuple(json.loads(raw)) for raw in raw_keys}
    keys = sorted(values)
    lthash, name = LtHash(state), tracked.table.name
    for chunk in _chunks(keys):
        query = select(digest_row.c.digest).where(
            digest_row.c.table_name == name, digest_row.c.row_key.in_(chunk)
        )
        for digest in await conn.scalars(query):
            lthash.remove(digest)
    rows: dict[str, bytes] = {}
    columns = [tracked.table.c[k] for k in tracked.key]
    for chunk in _chunks(keys):
        wanted = [values[k] for k in chunk]
        where = columns[0].in_([v[0] for v in wanted]) if len(columns) == 1 else tuple_(*columns).in_(wanted)
        for row in (await conn.execute(select(tracked.table).where(where))).mappings():
            digest = row_digest(row, tracked.excluded)
            lthash.add(digest)
            rows[key_text(tracked.key_of(row))] = digest
    return _Change(lthash, keys, rows)


async def _write(conn: AsyncConnection, name: str, change: _Change) -> None:
    for chunk in _chunks(change.keys):
        await conn.execute(
            delete(digest_row).where(digest_row.c.table_name == name, digest_row.c.row_key.in_(chunk))
        )
    if change.rows:
        rows = [{"table_name": name, "row_key": k, "digest": d} for k, d in change.rows.items()]
        await conn.execute(insert(digest_row), rows)
    await conn.execute(
        update(digest_state).where(digest_state.c.table_name == name).values(lthash=change.lthash.state())
    )


async def _dirty(conn: AsyncConnection) -> dict[str, set[str]]:
    dirty: dict[str, set[str]] = defaultdict(set)
    for name, raw in await conn.execute(select(digest_dirty.c.table_name, digest_dirty.c.row_key)):
        dirty[name].add(raw)
    return dirty


async def _states(conn: AsyncConnection) -> dict[str, bytes]:
    result = await conn.execute(select(digest_state.c.table_name, digest_state.c.lthash))
    return {name: bytes(state) for name, state in result}


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- triggers -----------------------------------------------------------------------------------------------

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
        return (
            f'CREATE TRIGGER "ess_digest_{table}_{event.lower()}" AFTER {event} ON "{table}" BEGIN {body} END'
        )

    return [
        *(f'DROP TRIGGER IF EXISTS "ess_digest_{table}_{event}"' for event in ("insert", "update", "delete")),
        trigger("INSERT", mark("NEW")),
        trigger("UPDATE", mark("OLD") + " " + mark("NEW")),
        trigger("DELETE", mark("OLD")),
    ]
