"""A batch reads its issuers' positions by primary key: a plan that scans the table would make a replay
slow down as the stream grows (quadratic over a long stream)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import create_async_engine

from ess_core.messaging.projection import Fold
from ess_core.messaging.schema import issuer_position, metadata


async def test_positions_of_a_batch_come_by_primary_key() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    sent: list[tuple[str, Any]] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: sent.append((a[2], a[3])))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            rows = [
                {
                    "pilot": p,
                    "service": "funding",
                    "aggregate": "project",
                    "aggregate_id": f"p{n}",
                    "sequence": n,
                }
                for p in ("state", "bdt")
                for n in range(1, 300)
            ]
            await conn.execute(insert(issuer_position), rows)
            wanted = {("state", "funding", "project", "p7"), ("bdt", "funding", "project", "p9")}
            wanted |= {("region", "intake", "project", "p7"), ("state", "funding", "project", "new")}
            sent.clear()
            found = await Fold([])._positions_of(conn, wanted)
            assert found == {
                ("state", "funding", "project", "p7"): 7,
                ("bdt", "funding", "project", "p9"): 9,
                ("region", "intake", "project", "p7"): 0,
                ("state", "funding", "project", "new"): 0,
            }
            [(statement, params)] = sent
            plan = [r[3] for r in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
            assert not any(step.startswith("SCAN") for step in plan), plan
    finally:
        await engine.dispose()
