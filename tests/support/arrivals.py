"""Waiting, bounded, for what a real server in the test (a mail server, a partner's receiver) was sent:
a list that its thread fills. From a test thread (`arrived`), or from a test that shares its event loop
with the service it waits on (`arriving`: it must not block the loop)."""

from __future__ import annotations

import asyncio
import time
from typing import TypeVar

T = TypeVar("T")
LIMIT_S = 20.0


def arrived(items: list[T], count: int, limit: float = LIMIT_S) -> list[T]:
    deadline = time.monotonic() + limit
    while len(items) < count:
        assert time.monotonic() < deadline, f"{len(items)} arrived, {count} expected"
        time.sleep(0.02)
    return list(items)


async def arriving(items: list[T], count: int, limit: float = LIMIT_S) -> list[T]:
    deadline = time.monotonic() + limit
    while len(items) < count:
        assert time.monotonic() < deadline, f"{len(items)} arrived, {count} expected"
        await asyncio.sleep(0.02)
    return list(items)
