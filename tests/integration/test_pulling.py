"""A fold's pulls on a real broker: after a few empty pulls it asks for one message with a longer wait
(on a stream of millions of messages the broker takes longer than a short pull lives to find the first
one, and a fold that only made short pulls never started); that pull returns as soon as a message is
there, and the next ones take whole batches again."""

from __future__ import annotations

import asyncio
import time

from nats.aio.client import Client
from nats.js import JetStreamContext

from ess_contracts.subjects import STREAM
from ess_core.messaging.projection import consumer_config
from ess_core.messaging.pulling import EMPTY_BEFORE_PROBE, PROBE_S, Puller

SHORT = 0.2


async def test_after_empty_pulls_one_message_is_awaited_longer_then_batches_again(
    js_stream: tuple[Client, JetStreamContext],
) -> None:
    _, js = js_stream
    sub = await js.pull_subscribe("ess.>", durable="pulling", stream=STREAM, config=consumer_config())
    puller = Puller(sub, batch=500, timeout=SHORT)
    for _ in range(EMPTY_BEFORE_PROBE):
        assert await puller.pull() == []
    assert puller.empty == EMPTY_BEFORE_PROBE

    probe = asyncio.create_task(puller.pull())
    await asyncio.sleep(3 * SHORT)  # a short pull would have come back empty by now
    assert not probe.done()
    published = time.monotonic()
    await js.publish("ess.region.intake.project.p-1.project_submitted", b"first", stream=STREAM)
    (message,) = await probe
    assert message.data == b"first"
    assert time.monotonic() - published < PROBE_S / 2  # at once, not at the end of the wait
    assert puller.empty == 0
    await message.ack()

    for n in range(3):
        await js.publish(f"ess.region.intake.project.p-{n}.project_submitted", b"next", stream=STREAM)
    batch = await puller.pull()
    assert [m.data for m in batch] == [b"next"] * 3
