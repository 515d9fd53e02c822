"""A snapshot's rows hashed as they are loaded (a join) leave the digest ledger exactly as hashing the
loaded tables afterwards does: the same kept hash, under the same key text, for every row, and the same
table hashes, on SQLite and PostgreSQL, with keys that need escaping. Rows changed afterwards then settle
to the digest recomputed from every row: the keys the database built match those its triggers write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_core.messaging.bookkeeping import APPENDED, BOOKKEEPING
from ess_core.messaging.db import make_engine
from ess_core.messaging.digest_ledger import DigestLedger, kept_digests
from ess_core.messaging.digest_load import LoadHashing
from ess_core.messaging.digests import table_digest
from ess_core.messaging.row_hashing import CHUNK
from ess_core.messaging.schema import applied, digest_row, digest_state, issuer_position
from ess_core.messaging.schema import metadata as core_metadata
from ess_core.snapshots.format import SnapshotHeader, load_snapshot, write_snapshot
from tests.integration.test_incremental_digests import VIEWS, facts, singles, views_metadata
from tests.support.databases import BACKENDS, database_url

VIEW_TABLES = [facts, singles]
TABLES = [*VIEW_TABLES, *BOOKKEEPING.tables]
KEYS = ["p1", 'quo"te', "back\\slash", "line\nbreak", "tab\t", "ctl\x01", "é", "𝄞", "a b", "/"]
HEADER = SnapshotHeader(
    pilot="region",
    service="funding",
    position=7,
    applied_events=CHUNK + 11,
    catalogue_version="v2",
    trust_hash="ab" * 32,
    created_at="2025-01-02T03:04:05.000006Z",
)


def ledger() -> DigestLedger:
    return DigestLedger([*VIEWS, BOOKKEEPING], APPENDED)


async def fill(conn: AsyncConnection) -> None:
    rows = [
        {"project_id": key, "n": n, "label": f"{key} {n}" if n % 3 else None, "flag": n % 2 == 0}
        for key in KEYS
        for n in (0, 1, 2**53 - 1, -(2**40))
    ]
    await conn.execute(facts.insert(), rows)
    await conn.execute(singles.insert(), [{"k": key, "v": key * 2} for key in KEYS])
    # more applied ids than a chunk: the appended table is handed over in pieces, with no kept hash a row
    await conn.execute(applied.insert(), [{"event_id": f"e-{i}", "stream_seq": i} for i in range(CHUNK + 11)])
    positions = [
        {"pilot": "state", "service": "funding", "aggregate": "project", "aggregate_id": key, "sequence": n}
        for n, key in enumerate(KEYS, start=1)
    ]
    await conn.execute(issuer_position.insert(), positions)


async def kept(conn: AsyncConnection) -> tuple[set[tuple[Any, ...]], dict[str, bytes]]:
    rows = {(t, k, bytes(d)) for t, k, d in await conn.execute(select(digest_row))}
    states = {name: bytes(state) for name, state in await conn.execute(select(digest_state))}
    return rows, states


@asynccontextmanager
async def fresh(backend: str, folder: Path) -> AsyncIterator[AsyncEngine]:
    async with database_url(backend, folder) as url:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(core_metadata.create_all)
                await conn.run_sync(views_metadata.create_all)
            yield engine
        finally:
            await engine.dispose()


async def load_hashing(engine: AsyncEngine, path: Path) -> None:
    async with engine.begin() as conn:
        hashing = LoadHashing(ledger(), conn, TABLES)
        try:
            await load_snapshot(conn, TABLES, path, hashing.loaded)
            await hashing.finish()
        finally:
            await hashing.close()


async def load_then_hash(engine: AsyncEngine, path: Path) -> None:
    async with engine.begin() as conn:
        await load_snapshot(conn, TABLES, path)
        await ledger().install(conn)  # every table without a hash is read back and hashed


@pytest.mark.parametrize("backend", BACKENDS)
async def test_hashing_while_loading_keeps_what_hashing_afterwards_keeps(
    backend: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        source, hashed_while, hashed_after = [
            await stack.enter_async_context(fresh(backend, tmp_path / name)) for name in ("a", "b", "c")
        ]
        path = tmp_path / "snapshot.ndjson.gz"
        async with source.begin() as conn:
            await fill(conn)
            await write_snapshot(conn, TABLES, HEADER, path)

        await load_hashing(hashed_while, path)
        await load_then_hash(hashed_after, path)
        async with hashed_while.connect() as a, hashed_after.connect() as b:
            while_rows, while_states = await kept(a)
            assert (while_rows, while_states) == await kept(b)
        assert {t for t, _, _ in while_rows} == {"view_test_fact", "view_test_single", "ess_issuer_position"}
        assert set(while_states) == {t.name for t in TABLES}

        async with hashed_while.begin() as conn:  # triggers on; every kind of row changed, then settled
            service = ledger()
            await service.install(conn)
            await conn.execute(facts.update().where(facts.c.n == 1).values(label="changed"))
            await conn.execute(facts.delete().where(facts.c.n == 0))
            await conn.execute(singles.update().values(v=None))
            await conn.execute(issuer_position.update().values(sequence=issuer_position.c.sequence + 1))
            await service.settle(conn)
            digests = await kept_digests(conn, [*VIEWS, BOOKKEEPING])
            excluded = {t.name: BOOKKEEPING.digest_excluded for t in BOOKKEEPING.tables}
            full = {t.name: await table_digest(conn, t, excluded.get(t.name, frozenset())) for t in TABLES}
            assert digests == full
