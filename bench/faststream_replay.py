"""Replay through FastStream: the same fold as `replay.ours`, fed by FastStream's batch pull subscriber.

FastStream (named by the project's design) would own the subscription: `broker.subscriber("ess.>",
pull_sub=PullSub(batch_size=500, batch=True), ack_policy=AckPolicy.MANUAL)`, a handler that receives the
batch as a list and hands the raw messages to the service's projection runner (`ProjectionRunner.handle`:
decode, one transaction, then the acks), exactly what the hand-written loop does after its own `fetch`.
The difference measured is only who pulls and dispatches: FastStream's parser, decoder, context and
middleware chain against a bare `fetch`. docs/decisions/0004-faststream-subscribers.md reads the figures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as ConsumerAck
from nats.js.api import DeliverPolicy

from bench.events import Wire
from bench.infra import connect
from bench.replay import BATCH, POLL, Run, _digest, replay_views
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.db import make_engine
from ess_core.messaging.projection import ProjectionRunner

FILL_TIMEOUT = 0.05
"""How long FastStream keeps fetching to fill a batch (it returns a partial batch only then): in a replay
every batch fills at once; at the stream's end, and at live rates, a batch waits this long."""
LIVE_EVENTS, LIVE_GAP, IDLE_SECONDS = 40, 0.05, 3.0


@asynccontextmanager
async def consuming(
    who: str, nats_url: str, runner: ProjectionRunner, durable: str, fill_timeout: float = FILL_TIMEOUT
) -> AsyncIterator[None]:
    """The runner fed by its own pull loop (`ours`) or by FastStream's batch pull subscriber."""
    if who == "ours":
        await runner.start()
        task = asyncio.create_task(runner.run_started())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await runner.stop()
        return
    broker = NatsBroker(nats_url, logger=None)
    subscriber = broker.subscriber(
        "ess.>",
        stream=JStream(STREAM, declare=False),
        durable=durable,
        config=ConsumerConfig(
            ack_policy=ConsumerAck.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30.0,
            max_ack_pending=BATCH * 4,
        ),
        pull_sub=PullSub(batch_size=BATCH, timeout=fill_timeout, batch=True),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def fold(body: Any, message: NatsMessage) -> None:  # body: the batch, decoded by FastStream
        await runner.handle(cast("list[Msg]", message.raw_message))  # a batch: the list of them

    await runner.reload()
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()


async def faststream_runner(
    nats_url: str, db_url: str, trust: TrustStore, last_seq: int, durable: str
) -> Run:
    views = replay_views()
    engine = make_engine(db_url)
    nc, js = await connect(nats_url)  # the runner's own pull is never started: FastStream pulls
    try:
        runner = ProjectionRunner(engine, js, trust, views, durable=durable, batch_size=BATCH)
        start, cpu = time.perf_counter(), time.process_time()
        async with consuming("faststream", nats_url, runner, durable):
            while runner.committed_seq < last_seq:  # noqa: ASYNC110 (no hook, as replay.ours)
                await asyncio.sleep(POLL)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        return Run(seconds, last_seq, await _digest(engine, views), cpu)
    finally:
        await nc.close()
        await engine.dispose()


async def trickle(
    nats_url: str, db_url: str, trust: TrustStore, live: Sequence[Wire], who: str, fill_timeout: float
) -> dict[str, float]:
    """The live path's share of who pulls: the stream already replayed, `IDLE_SECONDS` with nothing to
    do (CPU per second, the pulls alone), then `live` published one by one `LIVE_GAP` apart, each timed
    from its PubAck to the commit of the batch that holds it."""
    engine = make_engine(db_url)
    nc, js = await connect(nats_url)
    durable = f"live-{who}-{int(fill_timeout * 1000)}"
    try:
        last = (await js.stream_info(STREAM)).state.last_seq
        runner = ProjectionRunner(engine, js, trust, replay_views(), durable=durable, batch_size=BATCH)
        async with consuming(who, nats_url, runner, durable, fill_timeout):
            while runner.committed_seq < last:  # noqa: ASYNC110
                await asyncio.sleep(POLL)
            cpu = time.process_time()
            await asyncio.sleep(IDLE_SECONDS)
            idle = (time.process_time() - cpu) / IDLE_SECONDS
            waits = []
            for subject, data, headers in live:
                ack = await js.publish(subject, data, stream=STREAM, headers=dict(headers))
                sent = time.perf_counter()
                while runner.committed_seq < ack.seq:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                waits.append(time.perf_counter() - sent)
                await asyncio.sleep(LIVE_GAP)
        return {"idle_cpu_ms_per_s": idle * 1000, "p50_ms": statistics.median(waits) * 1000}
    finally:
        await nc.close()
        await engine.dispose()
