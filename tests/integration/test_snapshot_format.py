"""A snapshot (ess_core.snapshots) carries a service's views and bookkeeping whole: written from one
database and loaded into a fresh one, every row and every table digest is the same, on SQLite and
PostgreSQL; the same rows give the same bytes; a file that breaks a rule is refused with the rule named;
the store lists complete files only and prunes the oldest."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import table_digest
from ess_core.messaging.schema import access_log, applied, dead_letters, issuer_position, parked
from ess_core.service.migrate import upgrade
from ess_core.snapshots.format import (
    SnapshotHeader,
    SnapshotRefused,
    load_snapshot,
    read_header,
    write_snapshot,
)
from ess_core.snapshots.store import SnapshotStore
from ess_views.followup import review
from ess_views.project import project
from tests.support.databases import BACKENDS, database_url

TABLES = [applied, issuer_position, parked, dead_letters, project, review, access_log]
ROWS = 2500  # applied rows: more than one batch of 1,000 each way


def header(position: int = 42) -> SnapshotHeader:
    return SnapshotHeader(
        pilot="region",
        service="funding",
        position=position,
        applied_events=ROWS,
        catalogue_version="v2",
        trust_hash="ab" * 32,
        created_at="2025-01-02T03:04:05.000006Z",
    )


@asynccontextmanager
async def migrated(backend: str, folder: Path) -> AsyncIterator[AsyncEngine]:
    async with database_url(backend, folder) as url:
        await upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def source(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with migrated(request.param, tmp_path / "source") as engine:
        await fill(engine)
        yield engine


@pytest.fixture
async def target(source: AsyncEngine, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    backend = "postgres" if source.dialect.name == "postgresql" else "sqlite"
    async with migrated(backend, tmp_path / "target") as engine:
        yield engine


async def fill(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            applied.insert(), [{"event_id": f"e-{i:05d}", "stream_seq": i + 1} for i in range(ROWS)]
        )
        positions = [
            {
                "pilot": "state",
                "service": "funding",
                "aggregate": "project",
                "aggregate_id": key,
                "sequence": n,
            }
            for n, key in enumerate(["a", "B", "é", "Z", "_x", "ab", "A b", "𝄞"], start=1)
        ]
        await conn.execute(issuer_position.insert(), positions)
        await conn.execute(
            parked.insert(),
            [
                {
                    "stream_seq": 90,
                    "subject": "ess.state.funding.project.p-1.decision_recorded",
                    "reason": "gap before sequence 4",
                    "kind": "gap",
                    "issuer": "state.funding.project.p-1",
                    "sequence": 4,
                    "data": bytes(range(256)),
                    "headers": '{"Ess-Key":"k1"}',
                },
                {
                    "stream_seq": 91,
                    "subject": "ess.bdt.funding.project.p-2.new_type",
                    "reason": "unknown type",
                    "kind": "unknown",
                    "issuer": None,
                    "sequence": None,
                    "data": b"",
                    "headers": "{}",
                },
            ],
        )
        dead = {"stream_seq": 95, "subject": "ess.x", "reason": "forged", "deliveries": 3}
        await conn.execute(dead_letters.insert(), [{**dead, "data": b"\x00\xff", "headers": "{}"}])
        await conn.execute(
            project.insert(), [project_row("p-1", None), project_row("p-é", "Coopérative « Le Lien »")]
        )
        await conn.execute(review.insert(), [review_row(6, True), review_row(12, False)])
        entry = {"reader_pilot": "region", "reader": "u1", "project_id": "p-1", "fields": "title"}
        await conn.execute(
            access_log.insert(), [{**entry, "read_at": f"2025-01-0{d}T00:00:00.000000Z"} for d in (1, 2)]
        )


def project_row(project_id: str, name: str | None) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "intake_pilot": "region",
        "status": "submitted",
        "title_key": "key-1",
        "title_box": "c2VhbGVk",
        "department": "44",
        "stage": "idea",
        "budget_total": 2**53 - 1,
        "planned_jobs": 3,
        "submitted_on": "2025-01-02",
        "objectives": "O1,O10",
        "legal_form": None,
        "organisation_name": name,
        "siret": None,
        "rna": None,
    }


def review_row(months: int, operating: bool) -> dict[str, Any]:
    return {
        "project_id": "p-1",
        "pilot": "state",
        "milestone_months": months,
        "reviewed_on": "2025-06-01",
        "still_operating": operating,
        "jobs_created": 2,
        "jobs_kept": 1,
    }


async def write(engine: AsyncEngine, path: Path, tables: list[Table] = TABLES) -> SnapshotHeader:
    async with engine.connect() as conn, conn.begin():
        return await write_snapshot(conn, tables, header(), path)


async def rows_and_digests(engine: AsyncEngine) -> dict[str, tuple[list[Any], str]]:
    async with engine.connect() as conn:
        found = {}
        for table in TABLES:
            rows = (await conn.execute(select(table).order_by(*table.primary_key.columns))).all()
            found[table.name] = ([tuple(row) for row in rows], await table_digest(conn, table))
        return found


async def test_a_snapshot_loads_into_a_fresh_database_row_for_row(
    source: AsyncEngine, target: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "snap.ndjson.gz"
    written = await write(source, path)
    assert written.tables == {
        "ess_applied": ROWS,
        "ess_issuer_position": 8,
        "ess_parked": 2,
        "ess_dead_letters": 1,
        "view_project": 2,
        "view_project_review": 2,
        "ess_access_log": 2,
    }
    assert read_header(path) == written
    assert not (tmp_path / "snap.ndjson.gz.part").exists()

    async with target.begin() as conn:
        assert await load_snapshot(conn, TABLES, path) == written

    assert await rows_and_digests(target) == await rows_and_digests(source)
    async with target.begin() as conn:  # PostgreSQL's identity was moved past the loaded keys
        entry = {"reader_pilot": "region", "reader": "u2", "project_id": "p-1", "fields": "title"}
        await conn.execute(access_log.insert(), [{**entry, "read_at": "2025-01-03T00:00:00.000000Z"}])
        assert (
            await conn.execute(select(access_log.c.entry).order_by(access_log.c.entry))
        ).scalars().all() == [
            1,
            2,
            3,
        ]


async def test_the_same_rows_give_the_same_bytes(source: AsyncEngine, tmp_path: Path) -> None:
    first, second = tmp_path / "1.ndjson.gz", tmp_path / "2.ndjson.gz"
    await write(source, first)
    await write(source, second)
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(second.read_bytes())
    assert first.read_bytes() == second.read_bytes()  # no name nor time in the gzip header either
    lines = gzip.decompress(first.read_bytes()).decode("ascii").splitlines()
    assert json.loads(lines[1]) == {"table": "ess_applied", "columns": ["event_id", "stream_seq"]}
    order = [json.loads(line)[3] for line in lines if line.startswith('["state"')]
    assert order == sorted(order)  # code point order whatever the database's collation


async def test_sqlite_and_postgresql_write_the_same_bytes(tmp_path: Path) -> None:
    files = []
    for backend in ("postgres", "sqlite"):  # skipped without PostgreSQL
        async with migrated(backend, tmp_path / backend) as engine:
            await fill(engine)
            files.append(tmp_path / f"{backend}.ndjson.gz")
            await write(engine, files[-1], [t for t in TABLES if t is not access_log])  # its keys differ
    assert files[0].read_bytes() == files[1].read_bytes()


# Refusals: a good snapshot of three tables, changed one way each; the same empty target for every case.

REFUSAL_TABLES = [applied, parked, review]
Lines = list[Any]  # the file's JSON values; a `bytes` item is written as it is


def table_at(lines: Lines, name: str) -> int:
    return next(i for i, v in enumerate(lines) if isinstance(v, dict) and v.get("table") == name)


def column_at(lines: Lines, table: str, column: str) -> tuple[int, int]:
    """(the index of the table's first row, the column's index in a row)"""
    at = table_at(lines, table)
    return at + 1, lines[at]["columns"].index(column)


def set_value(table: str, column: str, value: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        row, i = column_at(lines, table, column)
        lines[row][i] = value
        return lines

    return change


def counted(table: str, by: int) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[0]["tables"][table] += by
        return lines

    return change


def duplicated_row(lines: Lines) -> Lines:
    at = table_at(lines, "ess_applied")
    lines.insert(at + 1, list(lines[at + 1]))
    return counted("ess_applied", 1)(lines)


def renamed(lines: Lines) -> Lines:
    lines[0]["tables"]["ess_nothing"] = lines[0]["tables"].pop("ess_applied")
    lines[table_at(lines, "ess_applied")]["table"] = "ess_nothing"
    return lines


def header_change(**changes: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[0].update(changes)
        return lines

    return change


def uncounted(lines: Lines) -> Lines:
    del lines[0]["tables"]["ess_parked"]
    return lines


def short_row(lines: Lines) -> Lines:
    lines[table_at(lines, "ess_applied") + 1].pop()
    return lines


def reordered_columns(lines: Lines) -> Lines:
    lines[table_at(lines, "ess_applied")]["columns"].reverse()
    return lines


def unknown_table_line(lines: Lines) -> Lines:
    lines[table_at(lines, "ess_applied")]["table"] = "ess_nothing"
    return lines


def row_first(lines: Lines) -> Lines:
    lines.insert(1, ["e-x", 1])
    return lines


def dropped_row(lines: Lines) -> Lines:
    del lines[table_at(lines, "ess_parked") + 1]
    return lines


CASES: list[tuple[str, Callable[[Lines], Lines], str]] = [
    ("unknown format", header_change(format="ess-snapshot/2"), "line 1: unknown format 'ess-snapshot/2'"),
    ("header rule", header_change(position=-1), "line 1: the header breaks its rules: position"),
    ("table not loaded", renamed, r"the snapshot holds \['ess_nothing'\], not among the tables loaded"),
    ("table line unknown", unknown_table_line, r"table 'ess_nothing' is not among the tables loaded"),
    ("table missing", uncounted, r"the snapshot holds no \['ess_parked'\]"),
    ("columns", reordered_columns, r"has columns \['stream_seq', 'event_id'\], the database's are"),
    ("row length", short_row, "a row of 1 values, the table has 2 columns"),
    (
        "text for an integer",
        set_value("ess_applied", "stream_seq", "7"),
        "column stream_seq: '7' is not an integer",
    ),
    ("boolean for an integer", set_value("ess_applied", "stream_seq", True), "True is not an integer"),
    ("integer for a boolean", set_value("view_project_review", "still_operating", 1), "1 is not a boolean"),
    ("integer for text", set_value("ess_applied", "event_id", 5), "column event_id: 5 is not text"),
    ("uppercase hex", set_value("ess_parked", "data", "ABCD"), "column data: 'ABCD' is not lowercase hex"),
    ("odd hex", set_value("ess_parked", "data", "abc"), "is not lowercase hex text of whole bytes"),
    (
        "null",
        set_value("ess_applied", "stream_seq", None),
        "stream_seq: null in a column that may not be null",
    ),
    (
        "fewer rows than counted",
        counted("ess_applied", 1),
        r"table ess_applied \(line 2\): 3 rows, the header says 4",
    ),
    (
        "fewer rows than counted, last table",
        dropped_row,
        r"table ess_parked \(line \d+\): 1 rows, the header says 2",
    ),
    ("more rows than counted", counted("ess_applied", -1), "more rows than the header's 2"),
    ("duplicate key", duplicated_row, "table ess_applied, rows up to line .*: the database refused them"),
    ("row before a table", row_first, "line 2: a row before any table line"),
]


def rewrite(good: Path, path: Path, change: Callable[[Lines], Lines]) -> None:
    lines = [json.loads(line) for line in gzip.decompress(good.read_bytes()).splitlines()]
    text = b"".join((v if isinstance(v, bytes) else json.dumps(v).encode()) + b"\n" for v in change(lines))
    path.write_bytes(gzip.compress(text))


async def refused(engine: AsyncEngine, path: Path) -> str:
    with pytest.raises(SnapshotRefused) as refusal:
        async with engine.begin() as conn:
            await load_snapshot(conn, REFUSAL_TABLES, path)
    assert str(refusal.value) == refusal.value.reason
    return refusal.value.reason


async def test_a_file_that_breaks_a_rule_is_refused_naming_it(
    source: AsyncEngine, target: AsyncEngine, tmp_path: Path
) -> None:
    async with source.begin() as conn:  # three rows, to keep the file small
        await conn.execute(applied.delete().where(applied.c.stream_seq > 3))
    good = tmp_path / "good.ndjson.gz"
    await write(source, good, REFUSAL_TABLES)
    for name, change, reason in CASES:
        path = tmp_path / f"{name}.ndjson.gz"
        rewrite(good, path, change)
        found = await refused(target, path)
        assert re.search(reason, found), f"{name}: {found}"

    (tmp_path / "plain").write_bytes(b'{"format": "ess-snapshot/1"}\n')
    assert "plain is not a gzip file" in await refused(target, tmp_path / "plain")
    (tmp_path / "words.gz").write_bytes(gzip.compress(b"hello\n"))
    assert "line 1 is not JSON" in await refused(target, tmp_path / "words.gz")
    lines = gzip.decompress(good.read_bytes()).splitlines(keepends=True)
    (tmp_path / "mangled.gz").write_bytes(gzip.compress(b"".join([*lines[:3], b"[1,\n", *lines[4:]])))
    assert "line 4 is not JSON" in await refused(target, tmp_path / "mangled.gz")
    (tmp_path / "unended.gz").write_bytes(gzip.compress(b"".join(lines)[:-1]))
    assert f"line {len(lines)} is cut short" in await refused(target, tmp_path / "unended.gz")
    (tmp_path / "cut.gz").write_bytes(good.read_bytes()[:-30])
    assert "cut.gz is not a gzip file, or not a whole one" in await refused(target, tmp_path / "cut.gz")
    assert "is not a file" in await refused(target, tmp_path / "absent.gz")

    async with target.connect() as conn:  # every refusal rolled back: the tables are still empty
        for table in REFUSAL_TABLES:
            assert (await conn.execute(select(table))).first() is None
    async with target.begin() as conn:
        await load_snapshot(conn, REFUSAL_TABLES, good)
    assert "table ess_applied is not empty" in await refused(target, good)


async def test_the_store_lists_whole_snapshots_and_prunes_the_oldest(
    source: AsyncEngine, tmp_path: Path
) -> None:
    store = SnapshotStore(tmp_path / "made" / "on demand")
    assert store.positions() == [] and store.latest() is None
    assert store.folder.is_dir()
    for position in (40, 5, 12):
        async with source.connect() as conn, conn.begin():
            await write_snapshot(conn, [issuer_position], header(position), store.path(position))
    assert store.path(5).name == "snapshot-000000000005.ndjson.gz"
    (store.folder / "snapshot-000000000099.ndjson.gz.part").write_bytes(b"half")
    (store.folder / "notes.txt").write_text("not a snapshot")
    assert store.positions() == [5, 12, 40] and store.latest() == 40

    info = store.info(12)
    data = store.path(12).read_bytes()
    assert (info.position, info.size, info.sha256) == (12, len(data), hashlib.sha256(data).hexdigest())
    assert info.created_at == "2025-01-02T03:04:05.000006Z"
    with pytest.raises(FileNotFoundError):
        store.info(13)

    assert store.prune(2) == [5]
    assert store.positions() == [12, 40]
    assert (store.folder / "snapshot-000000000099.ndjson.gz.part").exists()  # it may be being written
    assert store.prune(0) == [12, 40] and store.latest() is None
