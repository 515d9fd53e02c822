"""`ess project show ID [--as-of DATE|SEQ]`: a project as the stream tells it, at any point in time.

The project's events are read from the stream (signatures verified), cut at a stream sequence or a
business date, and folded by the same shared views every service holds, into a scratch database.
Without --as-of the result equals every service's view of the project.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_contracts.signing import TrustFile, TrustStore
from ess_contracts.subjects import project_filter
from ess_core.messaging.db import make_engine, sqlite_url
from ess_core.messaging.key_history import read_key_history
from ess_core.messaging.projection import Fold, Incoming
from ess_core.messaging.reader import read_stream
from ess_core.messaging.schema import metadata
from ess_ops.cli.broker import connect
from ess_views import shared_views
from ess_views.funding_plan.facts import Plan
from ess_views.funding_plan.store import load_plan, read_status, read_verdicts
from ess_views.project import decision, project, project_digest
from ess_views.timeline import act_date, timeline


@dataclass
class ProjectAsOf:
    project_id: str
    record: dict[str, Any] | None
    decisions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    digest: str
    rejected: list[str] = field(default_factory=list)
    plan: dict[str, Any] | None = None  # the funding plan's status, as every pilot's fold judges it
    verdicts: list[dict[str, object]] = field(default_factory=list)
    facts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # each funder's acts, by kind


async def read_events(
    js: JetStreamContext, subjects: str, trust: TrustStore
) -> list[tuple[Incoming, Event | Rejected]]:
    """Every message on these subjects, in stream order, decoded and verified (an ended key's events
    against its chain, read first)."""
    await read_key_history(js, trust)
    found: list[tuple[Incoming, Event | Rejected]] = []
    async for stored in read_stream(js, subjects):
        message = Incoming(stored.stream_seq, stored.subject, stored.data, stored.headers)
        try:
            found.append((message, decode(message.subject, message.data, message.headers, trust)))
        except Rejected as rejected:
            found.append((message, rejected))
    return found


def cut(
    items: list[tuple[Incoming, Event | Rejected]], as_of: str | None
) -> list[tuple[Incoming, Event | Rejected]]:
    """Keep what had happened at a stream sequence (digits) or by a business date (YYYY-MM-DD)."""
    if as_of is None:
        return items
    if as_of.isdigit():
        return [(m, e) for m, e in items if m.stream_seq <= int(as_of)]
    day = date.fromisoformat(as_of)
    return [(m, e) for m, e in items if isinstance(e, Event) and act_date(e) <= day]


@asynccontextmanager
async def scratch_database() -> AsyncIterator[AsyncEngine]:
    """A throwaway SQLite database holding the shared tables, gone on exit."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(sqlite_url(str(Path(scratch) / "scratch.db")))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            yield engine
        finally:
            await engine.dispose()


@asynccontextmanager
async def scratch_fold(items: list[tuple[Incoming, Event | Rejected]]) -> AsyncIterator[AsyncConnection]:
    """The shared views folded from these items into a throwaway database, open for reading."""
    async with scratch_database() as engine:
        async with engine.begin() as conn:
            await Fold(shared_views()).apply_batch(conn, items)
        async with engine.connect() as conn:
            yield conn


async def fold_project(project_id: str, items: list[tuple[Incoming, Event | Rejected]]) -> ProjectAsOf:
    async with scratch_fold(items) as conn:
        records = await _rows(conn, project, project_id)
        return ProjectAsOf(
            project_id,
            records[0] if records else None,
            await _rows(conn, decision, project_id),
            await _rows(conn, timeline, project_id, timeline.c.act_on, timeline.c.event_id),
            await project_digest(conn, project_id),
            [r.reason for _, r in items if isinstance(r, Rejected)],
            await read_status(conn, project_id),
            [v.as_dict() for v in await read_verdicts(conn, project_id)],
            plan_facts(await load_plan(conn, project_id)),
        )


FACT_KINDS = (
    "opinions",
    "requests",
    "cofunders",
    "commitments",
    "tranches",
    "disbursements",
    "acknowledgements",
)
"""The plan's facts besides the decisions (the project view lists those)."""


def plan_facts(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Each funder's acts on the plan, by kind, as plain rows (empty kinds left out)."""
    found = {kind: [dataclasses.asdict(fact) for fact in getattr(plan, kind)] for kind in FACT_KINDS}
    return {kind: rows for kind, rows in found.items() if rows}


async def _rows(conn: AsyncConnection, table: Table, project_id: str, *order: Any) -> list[dict[str, Any]]:
    query = (
        select(table).where(table.c.project_id == project_id).order_by(*(order or table.primary_key.columns))
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def project_as_of(
    nats_url: str, trust_file: Path, project_id: str, as_of: str | None, login: Mapping[str, Any]
) -> ProjectAsOf:
    trust = TrustStore(TrustFile.load(trust_file))
    async with connect(nats_url, login) as nc:
        items = await read_events(nc.jetstream(), project_filter(project_id), trust)
    return await fold_project(project_id, cut(items, as_of))


def run(
    nats_url: str, trust_file: Path, project_id: str, as_of: str | None, login: Mapping[str, Any]
) -> ProjectAsOf:
    return asyncio.run(project_as_of(nats_url, trust_file, project_id, as_of, login))
