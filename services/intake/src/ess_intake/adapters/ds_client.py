"""Démarches Simplifiées' GraphQL API over HTTP (httpx): the connector's three queries, a page at a time,
spaced to the configured rate. The API token is sent as a bearer token and never logged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ess_intake.adapters.ds_queries import DELETED, DESCRIPTORS, DOSSIERS

TIMEOUT_S = 30.0


class DsUnavailable(Exception):
    """DS did not answer, or answered with an error: the run stops where it is and resumes next time."""


@dataclass(frozen=True)
class Page:
    nodes: list[dict[str, Any]]
    end_cursor: str | None
    has_next: bool


class RateLimit:
    """At most `per_second` requests a second: each waits for its turn."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(time.monotonic(), self._next) + self.interval


class DsClient:
    def __init__(self, http: httpx.AsyncClient, url: str, limit: RateLimit) -> None:
        self.http, self.url, self.limit = http, url, limit

    async def query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        await self.limit.turn()
        try:
            response = await self.http.post(self.url, json={"query": document, "variables": variables})
        except httpx.HTTPError as error:
            raise DsUnavailable(f"DS unreachable at {self.url}: {type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise DsUnavailable(f"DS answered HTTP {response.status_code}: {response.text[:200]}")
        body = response.json()
        if body.get("errors"):
            raise DsUnavailable(
                "DS answered errors: " + "; ".join(e.get("message", "?") for e in body["errors"])
            )
        data: dict[str, Any] = body["data"]
        return data

    async def dossiers(self, demarche: int, first: int, after: str | None, since: str | None) -> Page:
        variables = {"demarche": demarche, "first": first, "after": after, "updatedSince": since}
        found = (await self.query(DOSSIERS, variables))["demarche"]["dossiers"]
        return _page(found)

    async def deleted(self, demarche: int, first: int, after: str | None, since: str | None) -> Page:
        variables = {"demarche": demarche, "first": first, "after": after, "deletedSince": since}
        return _page((await self.query(DELETED, variables))["demarche"]["deletedDossiers"])

    async def descriptors(self, demarche: int) -> list[tuple[str, str]]:
        """(typename, label) of each field of the démarche's published form."""
        found = (await self.query(DESCRIPTORS, {"demarche": demarche}))["demarche"]["activeRevision"]
        return [(d["__typename"], d["label"]) for d in found["champDescriptors"]]


def _page(connection: dict[str, Any]) -> Page:
    info = connection["pageInfo"]
    nodes = [n for n in connection.get("nodes") or () if n is not None]
    return Page(nodes, info.get("endCursor"), bool(info["hasNextPage"]))


@asynccontextmanager
async def ds_client(url: str, token: str, per_second: float) -> AsyncIterator[DsClient]:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "ess-intake DS connector"}
    async with httpx.AsyncClient(headers=headers, timeout=TIMEOUT_S) as http:
        yield DsClient(http, url, RateLimit(per_second))
