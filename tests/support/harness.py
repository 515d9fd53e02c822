"""A service's messaging parts wired to a real nats-server and a real database, as in the services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_contracts.codec import WireMessage
from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import BatchOutcome, ProjectionRunner
from ess_core.messaging.schema import applied, dead_letters, parked
from ess_views import shared_views
from tests.support.pilots import Pilots


@dataclass
class ViewHolder:
    engine: AsyncEngine
    runner: ProjectionRunner

    @classmethod
    async def start(
        cls, url: str, js: JetStreamContext, pilots: Pilots, durable: str, **kw: float
    ) -> ViewHolder:
        engine = make_engine(url)
        runner = ProjectionRunner(engine, js, pilots.trust, shared_views(), durable=durable, **kw)  # type: ignore[arg-type]
        await runner.start()
        return cls(engine, runner)

    async def catch_up(self, last_seq: int, rounds: int = 50) -> list[BatchOutcome]:
        """Fetch and apply until the view has seen `last_seq` (bounded)."""
        outcomes = []
        for _ in range(rounds):
            if self.runner.last_seq >= last_seq:
                break
            try:
                messages = await self.runner._sub.fetch(self.runner.batch_size, timeout=0.5)
            except TimeoutError:
                continue
            outcomes.append(await self.runner.handle(messages))
        assert self.runner.last_seq >= last_seq, f"view stuck at {self.runner.last_seq} < {last_seq}"
        return outcomes

    async def digest(self) -> str:
        async with self.engine.connect() as conn:
            return await view_digest(conn, shared_views())

    async def count(self, table: str) -> int:
        tables = {"applied": applied, "parked": parked, "dead": dead_letters}
        async with self.engine.connect() as conn:
            return (await conn.scalar(select(func.count()).select_from(tables[table]))) or 0

    async def rows(self, table: str) -> list[dict[str, object]]:
        tables = {"parked": parked, "dead": dead_letters}
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(tables[table]))).mappings()]

    async def close(self) -> None:
        await self.engine.dispose()


async def publish(js: JetStreamContext, messages: Sequence[WireMessage]) -> int:
    """Publish raw wire messages in the given order; returns the last stream sequence."""
    seq = 0
    for m in messages:
        seq = (await js.publish(m.subject, m.data, stream="ESS", headers=dict(m.headers))).seq
    return seq


def headers_json(m: WireMessage) -> str:
    return json.dumps(m.headers, sort_keys=True)
