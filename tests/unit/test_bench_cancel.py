"""The projection and relay loops stop when cancelled even if a cancel is lost inside a library call
(`asyncio.wait_for` on Python 3.11, which nats-py uses, can return a result instead of raising it)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from nats.errors import TimeoutError as NatsTimeout

from ess_core.messaging.projection import ProjectionRunner
from ess_core.messaging.relay import Relay


async def _swallow_a_cancel() -> None:
    with contextlib.suppress(asyncio.CancelledError):  # a lost cancel, from outside: the call just returns
        await asyncio.sleep(0.02)


class _Sub:
    async def fetch(self, batch: int, timeout: float) -> list[Any]:  # noqa: ASYNC109 (nats-py's signature)
        await _swallow_a_cancel()
        raise NatsTimeout


class _Relay(Relay):
    async def publish_pending(self) -> int:
        await _swallow_a_cancel()
        return 0


async def _stops(work: Any) -> bool:
    task = asyncio.create_task(work)
    await asyncio.sleep(0.01)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    if not done:  # the bug: clean up the runaway loop before failing
        task.cancel()
        await asyncio.wait({task}, timeout=2)
    return task in done and task.cancelled()


async def test_the_projection_loop_stops_after_a_lost_cancel() -> None:
    runner = ProjectionRunner(None, None, None, [], durable="x")  # type: ignore[arg-type]
    runner._sub = _Sub()
    assert await _stops(runner.run_started())


async def test_the_relay_loop_stops_after_a_lost_cancel() -> None:
    relay = _Relay(None, None, idle_poll=0.01)  # type: ignore[arg-type]
    assert await _stops(relay.run())
