"""What a view is to the projection runner, and the digest that proves two copies of a view agree."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_shared.contracts.canonical import canonical_bytes
from ess_shared.contracts.event import Event


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


async def table_digest(conn: AsyncConnection, table: Table, excluded: frozenset[str] = frozenset()) -> str:
    """SHA-256 over one canonical JSON line per row, rows in primary-key order (see docs/digest.md)."""
    columns = [c for c in table.columns if c.name not in excluded]
    query = select(*columns).order_by(*table.primary_key.columns)
    digest = hashlib.sha256()
    for row in (await conn.execute(query)).mappings():
        digest.update(canonical_bytes({k: _plain(v) for k, v in row.items()}) + b"\n")
    return digest.hexdigest()


def _plain(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


async def view_digest(conn: AsyncConnection, views: Sequence[View]) -> str:
    digest = hashlib.sha256()
    for view in sorted(views, key=lambda v: v.name):
        for table in sorted(view.tables, key=lambda t: t.name):
            line = f"{table.name}:{await table_digest(conn, table, view.digest_excluded)}\n"
            digest.update(line.encode())
    return digest.hexdigest()
