"""Property: the bookkeeping's kept digest (applied ids handed over by the fold, issuer positions, parked
events and dead letters kept by triggers) always equals the digest recomputed from every row, whatever the
interleaving, the batches, the redeliveries, the restarts, a malformed message and when the ledger
settles; on SQLite and PostgreSQL (docs/snapshots.md). A join compares the one with the other."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_core.messaging.bookkeeping import APPENDED, BOOKKEEPING
from ess_core.messaging.db import make_engine
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.digests import table_digest, view_digest
from ess_core.messaging.projection import Fold, Incoming
from ess_core.service.migrate import upgrade
from ess_views import shared_views
from tests.integration.test_order_independence import PILOTS, deliveries
from tests.support.databases import BACKENDS, database_url

MALFORMED = Incoming(999_999, "ess.region.intake.project.x.project_submitted", b"{not json", {})


def judged(message: Incoming) -> Event | Rejected:
    try:
        return decode(message.subject, message.data, message.headers, PILOTS.trust)
    except Rejected as rejected:
        return rejected


async def recomputed(engine: AsyncEngine) -> str:
    """The bookkeeping's view digest from every row, as `view_digest` computes it without kept hashes."""
    digest = hashlib.sha256()
    async with engine.connect() as conn:
        for table in sorted(BOOKKEEPING.tables, key=lambda t: t.name):
            value = await table_digest(conn, table, BOOKKEEPING.digest_excluded)
            digest.update(f"{table.name}:{value}\n".encode())
    return digest.hexdigest()


async def kept_and_full(
    url: str, case: tuple[list[Incoming], list[int], set[int]], settles: set[int]
) -> tuple[str, str]:
    messages, cuts, restarts = case
    messages = [*messages[:1], MALFORMED, *messages[1:]]
    engine = make_engine(url)
    views = shared_views()
    ledger = DigestLedger([*views, BOOKKEEPING], APPENDED)
    async with engine.begin() as conn:
        await ledger.install(conn)
    fold = Fold(views, ledger)
    bounds = [0, *(c + 1 for c in cuts), len(messages)]
    try:
        for number, (start, end) in enumerate(itertools.pairwise(bounds)):
            if number in restarts:  # a new process: state comes back from the database only
                fold = Fold(views, ledger)
                async with engine.connect() as conn:
                    await fold.load_positions(conn)
            async with engine.begin() as conn:
                await fold.apply_batch(conn, [(m, judged(m)) for m in messages[start:end]])
                if number in settles:
                    await ledger.settle(conn)
        async with engine.connect() as conn:
            kept = await view_digest(conn, [BOOKKEEPING])
        return kept, await recomputed(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_kept_bookkeeping_digest_equals_the_full_one(backend: str, tmp_path: Path) -> None:
    @settings(
        max_examples=8 if backend == "postgres" else 20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=deliveries(), settles=st.sets(st.integers(0, 9), max_size=4))
    def check(case: tuple[list[Incoming], list[int], set[int]], settles: set[int]) -> None:
        async def run() -> tuple[str, str]:
            async with database_url(backend, tmp_path) as url:
                await upgrade(url)
                return await kept_and_full(url, case, settles)

        kept, full = asyncio.run(run())
        assert kept == full

    check()
