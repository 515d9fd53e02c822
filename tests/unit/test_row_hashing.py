"""A large table hashed by worker processes gives what hashing it row by row in this process gives: each
row's hash in order, and the table's LtHash state."""

from __future__ import annotations

import asyncio

from ess_core.messaging.lthash import LtHash
from ess_core.messaging.row_hash import RowHasher
from ess_core.messaging.row_hashing import CHUNK, INLINE_ROWS, RowHashing

NAMES = ("amount", "label", "project_id", "secret", "settled")


def _rows(count: int) -> list[tuple[object, ...]]:
    return [
        (f'["p-{n}"]', n * 7, f"ligne {n} é", f"p-{n}", bytes([n % 256]) * 3, n % 3 == 0)
        for n in range(count)
    ]


async def _collect(
    hashing: RowHashing[list[object]], rows: list[tuple[object, ...]]
) -> tuple[list[object], bytes, list[bytes]]:
    """Whole rows (key first) handed a chunk at a time, as a table streamed from the database is."""
    keys: list[object] = []
    digests: list[bytes] = []
    lthash = LtHash()

    def keep(chunk_keys: list[object], state: bytes, chunk_digests: list[bytes]) -> None:
        keys.extend(chunk_keys)
        digests.extend(chunk_digests)
        lthash.add_state(state)

    values = tuple(range(1, len(NAMES) + 1))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        hashing.submit([row[0] for row in chunk], NAMES, chunk, values)
        async for done in hashing.ready():
            keep(*done)
    async for done in hashing.drained():
        keep(*done)
    return keys, lthash.state(), digests


def test_workers_hash_a_large_table_as_this_process_does_row_by_row() -> None:
    rows = _rows(INLINE_ROWS + 7_321)  # past the inline limit, and a last chunk cut short
    hashing: RowHashing[list[object]] = RowHashing(workers=2)
    try:
        keys, state, digests = asyncio.run(_collect(hashing, rows))
        assert hashing._pool is not None
    finally:
        hashing.close()

    hasher, expected = RowHasher(NAMES), LtHash()
    for row in rows:
        expected.add(hasher.digest(row[1:]))
    assert keys == [row[0] for row in rows]
    assert digests == [hasher.digest(row[1:]) for row in rows]
    assert state == expected.state()


def test_a_small_table_is_hashed_without_workers() -> None:
    hashing: RowHashing[list[object]] = RowHashing(workers=2)
    rows = _rows(50)
    _, state, _ = asyncio.run(_collect(hashing, rows))
    assert hashing._pool is None
    expected = LtHash()
    for row in rows:
        expected.add(RowHasher(NAMES).digest(row[1:]))
    assert state == expected.state()


def test_keyed_chunks_come_back_ready_to_insert_from_the_workers_too() -> None:
    """Whole rows, hashed columns picked by position, each hash returned after its row's key values."""
    rows = _rows(INLINE_ROWS + 3)  # the last chunk past the inline limit: hashed by a worker
    keyed, values = (0, 3), tuple(range(1, len(NAMES) + 1))

    async def collect(hashing: RowHashing[int]) -> list[object]:
        found: list[object] = []
        for start in range(0, len(rows), CHUNK):
            hashing.submit(start, NAMES, rows[start : start + CHUNK], values, keyed)
        async for _, _, kept in hashing.drained():
            found += kept
        return found

    hashing: RowHashing[int] = RowHashing(workers=2)
    try:
        found = asyncio.run(collect(hashing))
        assert hashing._pool is not None
    finally:
        hashing.close()
    hasher = RowHasher(NAMES)
    assert found == [(row[0], row[3], hasher.digest(row[1:])) for row in rows]
