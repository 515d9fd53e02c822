"""A snapshot's rows hashed into the digest ledger as they are loaded (a join, docs/snapshots.md).

Reading every row back once the load was done cost about what the load did: at ten million events,
36 million rows read, handed to the worker processes and their hashes written, all by one process while
the workers waited on it. Here each batch the load inserts goes to the workers as it is, and each row's
kept hash is written with a key the database builds from the row's key values, as its triggers do.

The rows hashed are the rows the database holds: the snapshot format carries only integers, text,
booleans, bytes and null, each decoded against its column's type (`ess_core.snapshots.format`), and the
database refuses a value it would not keep as given (too long, out of range, a NUL in PostgreSQL's text),
which refuses the join.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.digest_ledger import DigestLedger, Tracked
from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hashing import CHUNK, RowHashing
from ess_core.messaging.schema import digest_state

Row = tuple[Any, ...]


@dataclass
class _Table:
    tracked: Tracked
    per_row: bool  # a kept hash per row (not for an appended table)
    picked: tuple[int, ...]  # where the hashed columns are in a row of the table
    keyed: tuple[int, ...]  # where the key's columns are
    kept_insert: str
    lthash: LtHash = field(default_factory=LtHash)
    waiting: list[Row] = field(default_factory=list)  # loaded, not yet handed to the workers

    @classmethod
    def of(cls, tracked: Tracked, per_row: bool, dialect: Dialect) -> _Table:
        columns = [column.name for column in tracked.table.columns]
        return cls(
            tracked,
            per_row,
            picked=tuple(columns.index(name) for name in tracked.hasher.names),
            keyed=tuple(columns.index(name) for name in tracked.key),
            kept_insert=_kept_insert(dialect, tracked),
        )


def _kept_insert(dialect: Dialect, tracked: Tracked) -> str:
    """A row's kept hash from (*its key's values, hash), its key built by the database from the values:
    the same text as the triggers write for the row (`row_hash.key_expression`). The table's name is
    written in: one of the schema's, never data."""
    name = tracked.table.name
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
    head = f"INSERT INTO ess_digest_row (table_name, row_key, digest) VALUES ('{name}', "
    if dialect.name != "postgresql":
        return head + f"json_array({', '.join('?' for _ in tracked.key)}), ?)"
    types = [tracked.table.c[k].type.compile(dialect=dialect) for k in tracked.key]
    parts = ", ".join(f"CAST(${i + 1} AS {kind})" for i, kind in enumerate(types))
    return head + f"CAST(jsonb_build_array({parts}) AS TEXT), ${len(types) + 1})"


class LoadHashing:
    """The `tables` `ledger` digests, hashed from the rows `loaded` is given, in `conn`'s transaction: the
    caller has emptied their kept hashes and states, and calls `finish` once the load is done, then
    `close` whatever happened."""

    def __init__(self, ledger: DigestLedger, conn: AsyncConnection, tables: Sequence[Table]) -> None:
        self.conn = conn
        self.tables = {
            t.name: _Table.of(ledger.tracked[t.name], t.name not in ledger.appended, conn.dialect)
            for t in tables
            if t.name in ledger.tracked
        }
        self.hashing: RowHashing[_Table] = RowHashing()

    async def loaded(self, table: Table, rows: list[Row]) -> None:
        """Rows just inserted into `table`, in its columns' order."""
        entry = self.tables.get(table.name)
        if entry is None:  # not digested
            return
        entry.waiting += rows
        if len(entry.waiting) >= CHUNK:
            await self._hand_over(entry)

    async def finish(self) -> None:
        """Every table's hash kept, an empty one's too."""
        for entry in self.tables.values():
            if entry.waiting:
                await self._hand_over(entry)
        async for done in self.hashing.drained():
            await self._keep(*done)
        states = [{"table_name": name, "lthash": e.lthash.state()} for name, e in self.tables.items()]
        await self.conn.execute(insert(digest_state), states)

    async def close(self) -> None:
        await asyncio.to_thread(self.hashing.close)

    async def _hand_over(self, entry: _Table) -> None:
        rows, entry.waiting = entry.waiting, []
        keyed = entry.keyed if entry.per_row else None
        self.hashing.submit(entry, entry.tracked.hasher.names, rows, entry.picked, keyed)
        async for done in self.hashing.ready():
            await self._keep(*done)

    async def _keep(self, entry: _Table, state: bytes, kept: list[Any]) -> None:
        entry.lthash.add_state(state)
        if entry.per_row:
            await self.conn.exec_driver_sql(entry.kept_insert, kept)
