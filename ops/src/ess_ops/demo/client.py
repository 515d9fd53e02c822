"""The demo's HTTP calls: each service of the run by (pilot, service), each call as one of the run's local
people (`<pilot>-<who>`), an answer the demo did not expect raised as `DemoError` naming the call."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
WAIT_LIMIT_S = 30.0  # for an event to reach another service's view: well under a second when all is well


class DemoError(RuntimeError):
    """The demo cannot go on; the message names the call and the service's answer."""


class Api:
    def __init__(
        self, client: httpx.AsyncClient, urls: Mapping[tuple[str, str], str], tokens: Mapping[str, str]
    ) -> None:
        self.client = client
        self.urls = urls
        self.tokens = tokens

    async def call(
        self,
        method: str,
        where: tuple[str, str],
        path: str,
        person: str,
        *,
        expect: Collection[int] = (200, 201, 202),
        **kwargs: Any,
    ) -> httpx.Response:
        """`where` is (pilot, service); `person` the local person's role or name at that pilot."""
        pilot, service = where
        headers = {"Authorization": f"Bearer {self.tokens[f'{pilot}-{person}']}", **kwargs.pop("headers", {})}
        url = f"{self.urls[where]}{path}"
        try:
            response = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise DemoError(f"{method} {pilot}-{service} {path}: {exc!r}") from exc
        if response.status_code not in expect:
            raise DemoError(
                f"{method} {pilot}-{service} {path}: {response.status_code} {response.text[:600]}"
            )
        return response

    async def get(self, where: tuple[str, str], path: str, person: str, **kwargs: Any) -> Any:
        return (await self.call("GET", where, path, person, **kwargs)).json()

    async def post(self, where: tuple[str, str], path: str, person: str, body: Any, **kwargs: Any) -> Any:
        return (await self.call("POST", where, path, person, json=body, **kwargs)).json()


async def until(probe: Callable[[], Awaitable[T | None]], what: str, limit: float = WAIT_LIMIT_S) -> T:
    """The first answer of `probe` that is not None, polled; DemoError naming `what` after `limit` s."""
    deadline = time.monotonic() + limit
    delay = 0.05
    while True:
        found = await probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise DemoError(f"waited {limit:.0f} s for {what}")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)


async def bounded(limit: int, jobs: Collection[Awaitable[T]]) -> list[T]:
    """Run `jobs` at most `limit` at a time (two cores serve seven services: moderate parallelism)."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        try:
            async with gate:
                return await job
        finally:
            if inspect.iscoroutine(job):
                job.close()  # one never started, as the load was stopped: no "never awaited" warning

    return await asyncio.gather(*(one(job) for job in jobs))
