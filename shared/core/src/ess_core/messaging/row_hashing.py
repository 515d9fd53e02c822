"""Hashing a whole table's rows on the machine's other cores.

A join (docs/snapshots.md) or the first start after a table came hashes every row of a table at once:
millions of rows for a national snapshot, each a canonical JSON, a SHA-256 and a 2 KiB LtHash term, all
CPU in Python. Chunks of rows go to worker processes; each sends back its rows' hashes and the LtHash
state of the chunk, which add up lane by lane in any order. A small table is hashed in the calling
process: starting workers costs more than it would save.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher

CHUNK = 5_000
INLINE_ROWS = 20_000
"""Below this many rows a table is hashed in the calling process."""
AHEAD = 3
"""Chunks waiting per worker: enough to keep each busy while the caller writes what came back."""
MAX_WORKERS = 4

Hashed = tuple[list[Any], bytes, list[bytes]]
"""A chunk's row keys, its LtHash state, and each row's hash in the keys' order."""


def hash_chunk(names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> tuple[bytes, list[bytes]]:
    """Rows' hashes (their values in `names`' order) and the LtHash state of them all."""
    hasher = _hasher(names)
    digests = [hasher.digest(values) for values in rows]
    lthash = LtHash()
    for digest in digests:
        lthash.add(digest)
    return lthash.state(), digests


@functools.cache
def _hasher(names: tuple[str, ...]) -> RowHasher:
    return RowHasher(names)


class RowHashing:
    """Worker processes started on first need (`spawn`: the caller's process holds threads and sockets
    a fork would copy), stopped by `close`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(MAX_WORKERS, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    async def hashed(self, names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> AsyncIterator[Hashed]:
        """`rows` as (key, *values), hashed a chunk at a time, in order."""
        chunks = (_split(rows[start : start + CHUNK]) for start in range(0, len(rows), CHUNK))
        if len(rows) < INLINE_ROWS or self.workers < 2:
            for keys, values in chunks:
                yield (keys, *hash_chunk(names, values))
            return
        pool, loop = self._started(), asyncio.get_running_loop()
        pending: deque[tuple[list[Any], asyncio.Future[tuple[bytes, list[bytes]]]]] = deque()
        try:
            for keys, values in chunks:
                pending.append((keys, loop.run_in_executor(pool, hash_chunk, names, values)))
                if len(pending) >= AHEAD * self.workers:
                    keys, running = pending.popleft()
                    yield (keys, *await running)
            while pending:
                keys, running = pending.popleft()
                yield (keys, *await running)
        finally:
            for _, running in pending:
                running.cancel()

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _split(chunk: Sequence[Sequence[Any]]) -> tuple[list[Any], list[tuple[Any, ...]]]:
    return [row[0] for row in chunk], [tuple(row[1:]) for row in chunk]
