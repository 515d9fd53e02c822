"""Relay: committed outbox rows published to JetStream per second.

- ours: the outbox rows are already committed (the service's journal); `Relay(...).drain()` publishes them,
  pipelined, waits for every PubAck and marks the rows with their stream sequence;
- baseline: the same subjects, data and headers published with raw nats-py `js.publish_async`, in batches of
  500 pending acks, nothing read from or written to a database.

Each run gets a fresh nats-server (with `sync_interval: always`, as deployed) so the duplicate window never
drops a message the run publishes: the figure includes the broker's fsync per message, for both.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

from sqlalchemy import func, insert, select

from bench.events import Wire
from bench.infra import Broker, connect
from ess_contracts.codec import MSG_ID
from ess_contracts.subjects import STREAM, parse_subject
from ess_core.messaging.db import make_engine
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import outbox

WINDOW = 500


def journal(messages: Sequence[Wire], count: int) -> list[Wire]:
    """One service's journal: the first `count` events of the busiest (pilot, service) of the corpus. (A
    journal holds one issuer's events: its (aggregate, id, sequence) are unique.)"""
    by_issuer: dict[tuple[str, str], list[Wire]] = {}
    for message in messages:
        parts = parse_subject(message[0])
        by_issuer.setdefault((parts.pilot, parts.service), []).append(message)
    busiest = max(by_issuer.values(), key=len)
    if len(busiest) < count:
        raise ValueError(f"the corpus has {len(busiest)} events of one service, fewer than {count}")
    return busiest[:count]


async def fill_outbox(db_url: str, messages: Sequence[Wire]) -> None:
    """The journal as the services write it: one row per signed event, unpublished."""
    engine = make_engine(db_url)
    try:
        rows = []
        for subject, data, headers in messages:
            parts = parse_subject(subject)
            sequence = json.loads(data)["sequence"]
            rows.append(
                {
                    "event_id": headers[MSG_ID],
                    "subject": subject,
                    "aggregate": parts.aggregate,
                    "aggregate_id": parts.aggregate_id,
                    "sequence": sequence,
                    "data": data,
                    "headers": json.dumps(headers, sort_keys=True),
                }
            )
        async with engine.begin() as conn:
            for start in range(0, len(rows), 5_000):
                await conn.execute(insert(outbox), rows[start : start + 5_000])
    finally:
        await engine.dispose()


async def ours(db_url: str) -> tuple[float, float, int]:
    """Seconds, CPU seconds (this process) and rows published by `Relay.drain()`, on a fresh broker."""
    async with Broker() as broker:
        engine = make_engine(db_url)
        nc, js = await connect(broker.url)
        try:
            start, cpu = time.perf_counter(), time.process_time()
            sent = await Relay(engine, js).drain()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            async with engine.connect() as conn:
                left = await conn.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.stream_seq.is_(None))
                )
            if left:
                raise RuntimeError(f"relay left {left} rows unpublished")
            return seconds, cpu, sent
        finally:
            await nc.close()
            await engine.dispose()


async def baseline(messages: Sequence[Wire]) -> tuple[float, float, int]:
    async with Broker() as broker:
        nc, js = await connect(broker.url)
        try:
            start, cpu = time.perf_counter(), time.process_time()
            for first in range(0, len(messages), WINDOW):
                futures = [
                    await js.publish_async(subject, data, stream=STREAM, headers=dict(headers))
                    for subject, data, headers in messages[first : first + WINDOW]
                ]
                await asyncio.wait_for(asyncio.gather(*futures), 30)
            return time.perf_counter() - start, time.process_time() - cpu, len(messages)
        finally:
            await nc.close()
