"""Hashing a whole table's rows on the machine's other cores.

A join (docs/snapshots.md) or the first start after a table came hashes every row of a table at once:
millions of rows for a national snapshot, each a canonical JSON, a SHA-256 and a 2 KiB LtHash term, all
CPU in Python. Chunks of rows go to worker processes; each sends back its rows' hashes and the LtHash
state of the chunk, which add up lane by lane in any order. The caller hands chunks as it reads them (a
table streamed from the database, or a snapshot's rows as they are loaded) and writes what comes back
while the workers hash the next: memory stays flat whatever the table holds.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar

from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher

CHUNK = 5_000
INLINE_ROWS = 20_000
"""The first this many rows are hashed in the calling process: starting workers costs more than it saves."""
AHEAD = 3
"""Chunks waiting per worker: enough to keep each busy while the caller writes what came back."""
MAX_WORKERS = 4

T = TypeVar("T")


def hash_chunk(
    names: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    picked: tuple[int, ...],
    keyed: tuple[int, ...] | None = None,
) -> tuple[bytes, list[Any]]:
    """The LtHash state of the rows, and each row's hash. `picked`: where in a row the values of `names`
    are, in their order. With `keyed` (where the key's values are), each row's hash comes as (*its key's
    values, hash), ready to be inserted: the caller's process, the busy one, builds no tuple a row."""
    hasher = _hasher(names)
    digests = [hasher.digest([row[i] for i in picked]) for row in rows]
    lthash = LtHash()
    for digest in digests:
        lthash.add(digest)
    if keyed is None:
        return lthash.state(), digests
    return lthash.state(), [(*[row[i] for i in keyed], d) for row, d in zip(rows, digests, strict=True)]


@functools.cache
def _hasher(names: tuple[str, ...]) -> RowHasher:
    return RowHasher(names)


Done = tuple[T, bytes, list[Any]]
"""A chunk's tag (what the caller needs to write its rows' hashes), its LtHash state, and each row's hash
as `hash_chunk` gives it."""


class RowHashing(Generic[T]):
    """Chunks of rows hashed in the order given, at most `AHEAD` per worker waiting. The first
    `INLINE_ROWS` rows are hashed in the calling process: a small table (every test's) costs no workers.
    The workers are started on first need (`spawn`: the caller's process holds threads and sockets a fork
    would copy), and stopped by `close`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(MAX_WORKERS, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[T, asyncio.Future[tuple[bytes, list[Any]]]]] = deque()
        self._rows = 0

    def submit(
        self,
        tag: T,
        names: tuple[str, ...],
        rows: Sequence[Sequence[Any]],
        picked: tuple[int, ...],
        keyed: tuple[int, ...] | None = None,
    ) -> None:
        """`hash_chunk` of these, in this process or a worker."""
        self._rows += len(rows)
        if self._rows <= INLINE_ROWS or self.workers < 2:
            done = asyncio.get_running_loop().create_future()
            done.set_result(hash_chunk(names, rows, picked, keyed))
        else:
            done = asyncio.get_running_loop().run_in_executor(
                self._started(), hash_chunk, names, rows, picked, keyed
            )
        self._pending.append((tag, done))

    async def ready(self) -> AsyncIterator[Done[T]]:
        """The oldest chunks while more wait than keep the workers busy."""
        while len(self._pending) > AHEAD * self.workers or (self._pending and self._pending[0][1].done()):
            yield await self._next()

    async def drained(self) -> AsyncIterator[Done[T]]:
        """Every chunk still waiting, in order."""
        while self._pending:
            yield await self._next()

    async def _next(self) -> Done[T]:
        tag, running = self._pending[0]
        state, digests = await running
        self._pending.popleft()
        return tag, state, digests

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def close(self) -> None:
        for _, running in self._pending:
            running.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
