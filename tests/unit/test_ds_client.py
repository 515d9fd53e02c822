"""The DS connector keeps to its rate: requests wait for their turn, even when asked for all at once."""

from __future__ import annotations

import asyncio
import time

from ess_intake.adapters.ds_client import RateLimit


async def test_requests_are_spaced_to_the_rate() -> None:
    limit = RateLimit(per_second=50)
    began = time.monotonic()
    await asyncio.gather(*(limit.turn() for _ in range(6)))
    assert time.monotonic() - began >= 5 / 50 * 0.95  # the first goes at once, the five others 20 ms apart
