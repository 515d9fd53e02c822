"""Whether the views moved since a reactor last looked: reactors that read a view to tell people (a
decision reached the file, the agenda changed) read it again only when the projection applied
something, so an idle service costs one indexed read per round, whatever the size of its views."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.schema import consumer_position


class ViewWatch:
    def __init__(self) -> None:
        self.seen: int | None = None

    async def moved(self, conn: AsyncConnection) -> bool:
        """True the first time, then each time the count of applied events changed."""
        query = select(consumer_position.c.applied_count).where(consumer_position.c.consumer == "view")
        applied = await conn.scalar(query)
        moved = self.seen is None or applied != self.seen
        self.seen = applied
        return moved
