"""What the evaluation views share: a handler table and an upsert that touches only the columns given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.event import Event

Handler = Callable[[AsyncConnection, Event, Any], Awaitable[None]]


async def upsert(conn: AsyncConnection, table: Table, row: Mapping[str, Any]) -> None:
    """Insert the row, or update the columns it names (and only those) where its key exists."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    stmt = dialect.insert(table).values(dict(row))
    updates = {name: stmt.excluded[name] for name in row if name not in keys}
    await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


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
