"""What the DS connector keeps in intake's database: each dossier read (its revision, the project it
became or why it was rejected), where each feed's pass stands (its cursor and dates, so a run resumes
after a crash), and the last run's counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.types import format_timestamp
from ess_intake.adapters.tables import ds_dossier, ds_run, ds_sync


def now() -> str:
    return format_timestamp(datetime.now(UTC))


@dataclass(frozen=True)
class DossierRow:
    demarche: int
    number: int
    revision: str
    state: str
    project_id: str | None
    fingerprint: str | None
    outcome: str
    reason: str | None = None


async def find(conn: AsyncConnection, demarche: int, number: int) -> DossierRow | None:
    query = select(ds_dossier).where(ds_dossier.c.demarche == demarche, ds_dossier.c.number == number)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    return DossierRow(**{k: v for k, v in row.items() if k != "read_at"})


async def save(conn: AsyncConnection, row: DossierRow) -> None:
    values = {**asdict(row), "read_at": now()}
    key = (ds_dossier.c.demarche == row.demarche, ds_dossier.c.number == row.number)
    if await find(conn, row.demarche, row.number) is None:
        await conn.execute(insert(ds_dossier).values(values))
    else:
        await conn.execute(update(ds_dossier).where(*key).values(values))


async def rejections(conn: AsyncConnection, demarche: int) -> list[dict[str, object]]:
    query = (
        select(ds_dossier.c.number, ds_dossier.c.revision, ds_dossier.c.state, ds_dossier.c.reason)
        .where(ds_dossier.c.demarche == demarche, ds_dossier.c.outcome == "rejected")
        .order_by(ds_dossier.c.number)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


@dataclass(frozen=True)
class Pass:
    """Where one feed's pass stands: DS's cursor is only good with the `since` it was made for, so both
    are kept; `high_water` becomes the next pass's `since` once this one reaches the last page."""

    since: str | None = None
    cursor: str | None = None
    high_water: str | None = None


async def load_pass(conn: AsyncConnection, demarche: int, feed: str) -> Pass:
    query = select(ds_sync).where(ds_sync.c.demarche == demarche, ds_sync.c.feed == feed)
    row = (await conn.execute(query)).mappings().first()
    return Pass() if row is None else Pass(row["since"], row["cursor"], row["high_water"])


async def save_pass(conn: AsyncConnection, demarche: int, feed: str, state: Pass) -> None:
    key = (ds_sync.c.demarche == demarche, ds_sync.c.feed == feed)
    exists = (await conn.execute(select(ds_sync.c.demarche).where(*key))).first()
    if exists is None:
        await conn.execute(insert(ds_sync).values(demarche=demarche, feed=feed, **asdict(state)))
    else:
        await conn.execute(update(ds_sync).where(*key).values(**asdict(state)))


async def save_run(
    conn: AsyncConnection,
    demarche: int,
    started_at: str,
    counts: dict[str, int],
    finished: bool,
    error: str | None,
) -> None:
    values = {
        "started_at": started_at,
        "finished_at": now() if finished else None,
        "error": error,
        "counts": json.dumps(counts, sort_keys=True),
    }
    exists = (await conn.execute(select(ds_run.c.demarche).where(ds_run.c.demarche == demarche))).first()
    if exists is None:
        await conn.execute(insert(ds_run).values(demarche=demarche, **values))
    else:
        await conn.execute(update(ds_run).where(ds_run.c.demarche == demarche).values(values))


async def last_run(conn: AsyncConnection, demarche: int) -> dict[str, object] | None:
    row = (await conn.execute(select(ds_run).where(ds_run.c.demarche == demarche))).mappings().first()
    if row is None:
        return None
    return {**dict(row), "counts": json.loads(row["counts"])}
