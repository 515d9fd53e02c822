"""The plan view folded from four issuers' events, on real databases (SQLite, and PostgreSQL when set):
any interleaving, batch cut and redelivery gives byte-identical plan rows, and the verdicts name the acts
that crossed the lines by the events' own dates, never by arrival.

Drives the projection fold directly, as test_order_independence.py does for the shared views; the broker's
part is covered by test_funding_services.py and the system tests.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from ess_contracts.codec import decode
from ess_core.messaging.db import make_engine
from ess_core.messaging.projection import Fold, Incoming
from ess_core.messaging.schema import metadata as shared_tables
from ess_core.service.migrate import upgrade
from ess_funding.bootstrap import service, service_views
from ess_views.funding_plan import tables
from ess_views.funding_plan.store import plan_digest, read_status, read_verdicts
from tests.support import events as ev
from tests.support.databases import BACKENDS, database_url
from tests.support.funding_story import story
from tests.support.funding_system import postgres_database
from tests.support.pilots import Pilots

PILOTS = Pilots.generate()
TEMPLATE = Path(tempfile.mkdtemp(prefix="ess-funding-fold-")) / "template.db"
PROJECT = "region-pf"  # submitted by region's intake: its id names region
WIRES = [ev.wire(PILOTS.signers, p, e) for p, e in story(PROJECT)]
Case = tuple[list[Incoming], list[int]]


def incoming(index: int, copy: int = 0) -> Incoming:
    wire = WIRES[index]
    return Incoming(1000 * copy + index + 1, wire.subject, wire.data, dict(wire.headers))


@st.composite
def deliveries(draw: st.DrawFn) -> Case:
    order = draw(st.permutations(range(len(WIRES))))
    again = draw(st.lists(st.sampled_from(range(len(WIRES))), max_size=4))
    messages = [incoming(i) for i in order] + [incoming(i, 1) for i in again]
    cuts = sorted(draw(st.sets(st.integers(1, len(messages) - 1), max_size=6)))
    return messages, cuts


@asynccontextmanager
async def migrated(backend: str, folder: Path) -> AsyncIterator[str]:
    """A migrated database; SQLite files are copies of one migrated template (migrating takes longer
    than folding the story)."""
    if backend == "sqlite":
        if not TEMPLATE.exists():
            await upgrade(f"sqlite+aiosqlite:///{TEMPLATE}", service)
        yield f"sqlite+aiosqlite:///{_copy_template(folder)}"
        return
    async with database_url(backend, folder) as url:
        await upgrade(url, service)
        yield url


def _copy_template(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(TEMPLATE, copy)
    return copy


async def fold(url: str, case: Case) -> tuple[str, list[list[tuple[object, ...]]]]:
    """The plan's digest and every row of its tables after folding the deliveries in batches."""
    messages, cuts = case
    engine = make_engine(url)
    try:
        runner = Fold(service_views())
        for start, end in itertools.pairwise([0, *cuts, len(messages)]):
            batch = [(m, decode(m.subject, m.data, m.headers, PILOTS.trust)) for m in messages[start:end]]
            async with engine.begin() as conn:
                await runner.apply_batch(conn, batch)
        async with engine.connect() as conn:
            rows = [
                [tuple(r) for r in await conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in tables.PLAN_TABLES
            ]
            return await plan_digest(conn, PROJECT), rows
    finally:
        await engine.dispose()


@contextmanager
def blank_databases(backend: str, folder: Path) -> Iterator[Callable[[], str]]:
    """Gives a database with nothing folded yet at each call: on SQLite a copy of a migrated template, on
    PostgreSQL one database migrated once and emptied before each use (making one takes seconds)."""
    if backend == "sqlite":
        if not TEMPLATE.exists():
            asyncio.run(upgrade(f"sqlite+aiosqlite:///{TEMPLATE}", service))
        yield lambda: f"sqlite+aiosqlite:///{_copy_template(folder)}"
        return
    with postgres_database() as url:
        if url is None:
            pytest.skip("PostgreSQL backend: set ESS_TEST_POSTGRES_URL (CI sets it) to run")
        asyncio.run(upgrade(url, service))

        def emptied() -> str:
            asyncio.run(_empty(url))
            return url

        yield emptied


async def _empty(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for table in reversed(shared_tables.sorted_tables):
                await conn.execute(delete(table))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_any_interleaving_gives_the_same_plan_rows(backend: str, tmp_path: Path) -> None:
    with blank_databases(backend, tmp_path) as fresh:
        reference = asyncio.run(fold(fresh(), ([incoming(i) for i in range(len(WIRES))], [])))
        _check_interleavings(backend, fresh, reference)


def _check_interleavings(backend: str, fresh: Callable[[], str], reference: object) -> None:
    @settings(
        max_examples=10 if backend == "postgres" else 25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(deliveries())
    def check(case: Case) -> None:
        assert asyncio.run(fold(fresh(), case)) == reference

    check()


async def test_sqlite_and_postgres_hold_the_same_bytes(tmp_path: Path) -> None:
    from tests.support.databases import skip_unless_postgres

    skip_unless_postgres()
    reversed_order = ([incoming(i) for i in reversed(range(len(WIRES)))], [3, 7])
    in_order = ([incoming(i) for i in range(len(WIRES))], [])
    async with (
        migrated("sqlite", tmp_path) as sqlite,
        migrated("postgres", tmp_path) as postgres,
    ):
        assert await fold(sqlite, in_order) == await fold(postgres, reversed_order)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_fold_names_the_acts_that_crossed_the_lines(backend: str, tmp_path: Path) -> None:
    async with database_url(backend, tmp_path) as url:
        await upgrade(url, service)
        engine = make_engine(url)
        runner = Fold(service_views())
        backwards = [incoming(i) for i in reversed(range(len(WIRES)))]  # latest acts arrive first
        async with engine.begin() as conn:
            await runner.apply_batch(
                conn, [(m, decode(m.subject, m.data, m.headers, PILOTS.trust)) for m in backwards]
            )
        async with engine.connect() as conn:
            verdicts = {v.rule: v for v in await read_verdicts(conn, PROJECT)}
            status = await read_status(conn, PROJECT)
        await engine.dispose()
    assert status is not None and status["status"] == "in_conflict"
    assert (status["eligible_total"], status["funded"]) == (100_000_00, 110_000_01)
    over = verdicts["over_funding"]
    assert (over.act, over.act_on.isoformat(), over.total, over.excess) == (
        "region/commitment/c1",
        "2026-04-20",
        110_000_01,
        10_000_01,
    )
    double = verdicts["double_funding"]
    assert (double.subject, double.act, double.limit, double.total) == (
        "budget line equipment",
        "bdt/decision/d1",
        40_000_00,
        40_000_01,
    )
    minimis = verdicts["de_minimis"]
    assert (minimis.act, minimis.regulation, minimis.limit, minimis.total) == (
        "bdt/decision/d1",
        "(EU) 2023/2831, general",
        300_000_00,
        300_000_01,
    )
    assert minimis.window == "any period of three years: 2023-04-10 to 2026-04-09"
    assert [act for act, _ in minimis.counted] == [
        "prior/aid-2025",
        "state/decision/d1",
        "region/decision/d1",
        "bdt/decision/d1",
    ]
