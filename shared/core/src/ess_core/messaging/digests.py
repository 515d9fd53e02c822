"""The digests that prove two copies of a view agree (docs/digest.md): a table's is the LtHash of its rows'
hashes, so it does not depend on their order. A service keeps it as rows change (`digest_ledger`), so a
checkpoint costs what changed; `table_digest` computes the same from every row (a scratch database, one
project's rows, the tools that recompute a digest from the stream alone)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.digest_ledger import kept_digests
from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher
from ess_core.messaging.view_idiom import View


async def table_digest(
    conn: AsyncConnection,
    table: Table,
    excluded: frozenset[str] = frozenset(),
    where: ColumnElement[bool] | None = None,
) -> str:
    """A table's digest from every row (or those `where` selects: one project's)."""
    hasher = RowHasher.of(table, excluded)
    query = select(*hasher.columns(table))
    lthash = LtHash()
    for values in await conn.execute(query if where is None else query.where(where)):
        lthash.add(hasher.digest(values))
    return lthash.hexdigest()


async def view_digest(conn: AsyncConnection, views: Sequence[View]) -> str:
    """SHA-256 over `<table>:<table digest>` lines, views by name, tables by name within a view; from the
    kept hashes where this database keeps them, from every row otherwise."""
    kept = await kept_digests(conn, views)
    digest = hashlib.sha256()
    for view in sorted(views, key=lambda v: v.name):
        for table in sorted(view.tables, key=lambda t: t.name):
            value = kept[table.name] if kept else await table_digest(conn, table, view.digest_excluded)
            digest.update(f"{table.name}:{value}\n".encode())
    return digest.hexdigest()
