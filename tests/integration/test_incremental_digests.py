"""The kept digest always equals the digest recomputed from every row: whatever writes a view table
(inserts, upserts, updates that change a key, deletes, a rebuild), on SQLite and PostgreSQL, read before
or after the fold settles what changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Boolean, Column, MetaData, PrimaryKeyConstraint, String, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.canonical import canonical_bytes
from ess_core.messaging.db import make_engine, upsert_statement
from ess_core.messaging.digest_ledger import DigestLedger, kept_digests
from ess_core.messaging.digests import table_digest, view_digest
from ess_core.messaging.row_hash import RowHasher
from ess_core.messaging.schema import metadata as core_metadata
from tests.support.databases import BACKENDS, database_url

EXAMPLES = int(os.environ.get("ESS_DIGEST_EXAMPLES", "40"))  # more for a longer search
views_metadata = MetaData()
facts = Table(
    "view_test_fact",
    views_metadata,
    Column("project_id", String(64), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("label", Text, nullable=True),
    Column("flag", Boolean, nullable=True),
    PrimaryKeyConstraint("project_id", "n"),
)
singles = Table(
    "view_test_single", views_metadata, Column("k", String(16), primary_key=True), Column("v", Text)
)


class TestView:
    name = "test"
    tables = (facts, singles)
    digest_excluded: frozenset[str] = frozenset()


VIEWS = [TestView()]
KEYS = st.sampled_from(["p1", "p2", "é", "Z", "a b"])
# any text PostgreSQL stores (it refuses NUL): escapes, accents, astral characters
LABELS = st.none() | st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=8)
WRITE = st.one_of(
    st.tuples(st.just("upsert"), KEYS, st.integers(0, 3), LABELS, st.none() | st.booleans()),
    st.tuples(st.just("rekey"), KEYS, st.integers(0, 3), KEYS, st.integers(0, 3)),
    st.tuples(st.just("delete"), KEYS, st.integers(0, 3), st.none(), st.none()),
    st.tuples(st.just("single"), KEYS, st.integers(0, 1), LABELS, st.none()),
    st.tuples(st.just("settle"), KEYS, st.integers(0, 0), st.none(), st.none()),
)


async def apply(conn: AsyncConnection, ledger: DigestLedger, write: tuple[Any, ...]) -> None:
    kind, key, n, a, b = write
    dialect = conn.dialect.name
    if kind == "upsert":
        row = {"project_id": key, "n": n, "label": a, "flag": b}
        await conn.execute(upsert_statement(dialect, facts, ("project_id", "n")), [row])
    elif kind == "rekey":  # a key that moves onto a free key: both the old and the new row change
        taken = facts.select().where(facts.c.project_id == a, facts.c.n == b)
        if (a, b) != (key, n) and (await conn.execute(taken)).first() is None:
            where = (facts.c.project_id == key) & (facts.c.n == n)
            await conn.execute(facts.update().where(where).values(project_id=a, n=b))
    elif kind == "delete":
        await conn.execute(facts.delete().where(facts.c.project_id == key, facts.c.n == n))
    elif kind == "single":
        await conn.execute(upsert_statement(dialect, singles, ("k",)), [{"k": key, "v": a if n else None}])
    else:
        await ledger.settle(conn)


async def full(conn: AsyncConnection) -> dict[str, str]:
    return {t.name: await table_digest(conn, t) for t in (facts, singles)}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_kept_digest_equals_the_full_one_after_any_writes(backend: str, tmp_path: Path) -> None:
    async with database_url(backend, tmp_path / backend) as url:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(core_metadata.create_all)
                await conn.run_sync(views_metadata.create_all)
                await conn.execute(facts.insert(), [{"project_id": "p1", "n": 0, "label": "before"}])
            ledger = DigestLedger(VIEWS)
            async with engine.begin() as conn:
                await ledger.install(conn)  # a table with rows already: hashed in full once
                assert await kept_digests(conn, VIEWS) == await full(conn)

            for writes in drawn(st.lists(WRITE, max_size=25), EXAMPLES):
                async with engine.begin() as conn:
                    for write in writes:
                        await apply(conn, ledger, write)
                    assert await kept_digests(conn, VIEWS) == await full(conn), writes
                    await ledger.settle(conn)
                    assert await kept_digests(conn, VIEWS) == await full(conn), writes
                    assert await view_digest(conn, VIEWS) == await full_view_digest(conn)

            async with engine.begin() as conn:  # a rebuild empties the views: the kept digest follows
                for table in (facts, singles):
                    await conn.execute(table.delete())
                await ledger.reset(conn)
                assert await kept_digests(conn, VIEWS) == await full(conn)
        finally:
            await engine.dispose()


def drawn(strategy: st.SearchStrategy[Any], examples: int) -> list[Any]:
    """Examples Hypothesis draws (its edge cases first), to run against one database in one event loop."""
    found: list[Any] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


async def full_view_digest(conn: AsyncConnection) -> str:
    """The view digest from every row: a database without kept hashes computes it so."""
    digest = hashlib.sha256()
    for table in sorted(TestView.tables, key=lambda t: t.name):
        digest.update(f"{table.name}:{await table_digest(conn, table)}\n".encode())
    return digest.hexdigest()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy machine draws slowly
@given(
    st.dictionaries(
        st.text(alphabet="abcdefghij_", min_size=1, max_size=8),
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text() | st.binary(max_size=8),
        max_size=8,
    )
)
def test_a_row_hash_is_the_sha256_of_its_canonical_bytes(row: dict[str, Any]) -> None:
    plain = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}
    hasher = RowHasher(tuple(sorted(row)))
    assert hasher.digest([row[k] for k in hasher.names]) == hashlib.sha256(canonical_bytes(plain)).digest()
