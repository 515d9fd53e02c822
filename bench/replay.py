"""Replay: the shared views rebuilt from the whole stream, events per second.

- ours: the service code path, `ProjectionRunner(...).run_started()` on a fresh migrated database, until
  it has committed the stream's last sequence, with the probe and project views (`replay_views()`); with
  every shared view (`--all-views`: the funding plan too, whose rules read the project's facts back
  after each act) it runs without a baseline, since that fold is domain code a baseline would run alike;
- baseline: the same work written by hand with raw nats-py: `pull_subscribe` + `fetch(500)`, signature
  verified over the bytes received with the same `TrustStore`, `Event.model_validate_json`, then the same
  view rows and applied ids written with executemany in one SQLAlchemy Core transaction per batch, then
  the acks. It keeps no issuer positions, parks nothing and has no dead letters: it is the floor;
- raw: pull, verify, parse and ack, no database: what the machine allows at all.

Ours and the baseline must end with the same view digest; the run reports whether they did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.infra import connect
from ess_contracts import evaluation, funding, intake
from ess_contracts.codec import KEY, SIGNATURE
from ess_contracts.event import Event
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_contracts.types import format_timestamp
from ess_core.messaging.bookkeeping import APPENDED, BOOKKEEPING
from ess_core.messaging.db import make_engine
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.digests import table_digest, view_digest
from ess_core.messaging.projection import ProjectionRunner
from ess_core.messaging.schema import applied
from ess_core.messaging.view_idiom import View
from ess_core.service.probe import ProbeView, probe
from ess_views import followup, shared_views, timeline
from ess_views.project import ProjectView, decision, project

BATCH = 500
POLL = 0.005


@dataclass
class Run:
    seconds: float
    events: int
    digest: str | None = None
    cpu: float = 0.0
    """CPU seconds of this process, all its threads (SQLite's work too, not the broker's nor PostgreSQL's)."""
    digest_ms: dict[str, float] = field(default_factory=dict)
    """What a checkpoint's digest costs at the end: from the kept hashes, and from every row."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.events * 1e6


def replay_views() -> list[View]:
    """The views the baseline writes by hand: the probe and the project view every service folds."""
    return [ProbeView(), ProjectView()]


async def _digest(engine: AsyncEngine, views: Sequence[View]) -> str:
    async with engine.connect() as conn:
        return await view_digest(conn, views)


async def _timed_digests(engine: AsyncEngine, views: Sequence[View]) -> tuple[str, dict[str, float]]:
    """The view digest as a checkpoint reads it (kept hashes when there are), and read from every row."""
    async with engine.connect() as conn:
        start = time.perf_counter()
        kept = await view_digest(conn, views)
        middle = time.perf_counter()
        full = [await table_digest(conn, t, v.digest_excluded) for v in views for t in v.tables]
        end = time.perf_counter()
    assert full  # read for its cost: equal to the kept one by tests/integration/test_incremental_digests.py
    return kept, {"checkpoint": (middle - start) * 1e3, "every_row": (end - middle) * 1e3}


async def ours(
    nats_url: str,
    db_url: str,
    trust: TrustStore,
    last_seq: int,
    durable: str,
    *,
    all_views: bool = False,
    digest: bool = True,
    kept_digests: bool = True,
) -> Run:
    """`kept_digests`: the digests kept as rows change, as a service keeps them (off: as before them)."""
    views = shared_views() if all_views else replay_views()
    engine = make_engine(db_url)
    nc, js = await connect(nats_url)
    try:
        # as a service keeps them
        ledger = DigestLedger([*views, BOOKKEEPING], APPENDED) if kept_digests else None
        if ledger is not None:
            async with engine.begin() as conn:
                await ledger.install(conn)
        runner = ProjectionRunner(engine, js, trust, views, durable=durable, batch_size=BATCH, ledger=ledger)
        start, cpu = time.perf_counter(), time.process_time()
        await runner.start()
        task = asyncio.create_task(runner.run_started())
        while runner.committed_seq < last_seq and not task.done():  # noqa: ASYNC110 (the runner has no hook)
            await asyncio.sleep(POLL)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.stop()
        if runner.committed_seq < last_seq:
            raise RuntimeError(f"projection stopped at {runner.committed_seq} < {last_seq}")
        if not digest:
            return Run(seconds, last_seq, None, cpu)
        kept, digest_ms = await _timed_digests(engine, views)
        return Run(seconds, last_seq, kept, cpu, digest_ms)
    finally:
        await nc.close()
        await engine.dispose()


async def _subscribe(js: JetStreamContext, durable: str) -> Any:
    return await js.pull_subscribe(
        "ess.>",
        durable=durable,
        stream=STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30.0,
            max_ack_pending=BATCH * 4,
        ),
    )


def _verified(trust: TrustStore, msg: Msg) -> Event:
    headers = msg.headers or {}
    trust.verify(msg.subject.split(".", 2)[1], headers[KEY], msg.data, headers[SIGNATURE])
    return Event.model_validate_json(msg.data)


@dataclass
class _Rows:
    """The rows one batch writes, by statement, in the order the statements run."""

    applied: list[dict[str, Any]] = field(default_factory=list)
    submitted: list[dict[str, Any]] = field(default_factory=list)
    corrected: list[dict[str, Any]] = field(default_factory=list)
    qualified: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)
    decided: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    probes: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    oriented: list[dict[str, Any]] = field(default_factory=list)
    answered: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def add(self, event: Event, stream_seq: int) -> None:
        if event.type == "checkpoint_recorded":
            return
        self.applied.append({"event_id": event.id, "stream_seq": stream_seq})
        p = event.payload
        pid = event.aggregate_id
        if event.type in timeline.PROJECT_TYPES:
            self.timeline.append(
                {
                    "project_id": pid,
                    "event_id": event.id,
                    "type": event.type,
                    "pilot": event.pilot,
                    "service": event.service,
                    "act_on": timeline.act_date(event).isoformat(),
                    "occurred_at": format_timestamp(event.occurred_at),
                }
            )
        if isinstance(p, intake.ProjectSubmitted):
            self.submitted.append(
                {
                    "project_id": pid,
                    "intake_pilot": event.pilot,
                    "status": "submitted",
                    "title_key": p.project.title.key,
                    "title_box": p.project.title.box,
                    "department": p.organisation.department,
                    **_holder(p.organisation),
                    "stage": p.project.stage,
                    "budget_total": p.project.budget.total,
                    "planned_jobs": p.project.planned_jobs,
                    "submitted_on": p.submitted_on.isoformat(),
                    "objectives": "",
                }
            )
        elif isinstance(p, intake.ProjectCorrected):
            self.corrected.append(
                {
                    "pid": pid,
                    "b_pilot": event.pilot,
                    "b_title_key": p.project.title.key,
                    "b_title_box": p.project.title.box,
                    "b_department": p.organisation.department,
                    **{f"b_{k}": v for k, v in _holder(p.organisation).items()},
                    "b_stage": p.project.stage,
                    "b_budget": p.project.budget.total,
                    "b_jobs": p.project.planned_jobs,
                }
            )
        elif isinstance(p, intake.ProjectQualified):
            status = "qualified" if p.eligible else "ineligible"
            row = {"pid": pid, "b_status": status, "b_objectives": ",".join(sorted(p.objectives))}
            self.qualified.append({**row, "b_department": p.department})
        elif isinstance(p, intake.ProjectOriented):
            self.status.append({"pid": pid, "b_status": "oriented"})
            on = p.oriented_on.isoformat()
            for network in p.network_ids:
                row = {"project_id": pid, "network_id": network, "oriented_on": on, "answer": "pending"}
                self.oriented.append({**row, "answered_on": None, "decline_reason": None})
        elif isinstance(p, intake.ProjectOrientationAccepted):
            row = {"pid": pid, "b_network": p.network_id, "b_answer": "accepted"}
            self.answered.append({**row, "b_on": p.accepted_on.isoformat(), "b_reason": None})
        elif isinstance(p, intake.ProjectOrientationDeclined):
            row = {"pid": pid, "b_network": p.network_id, "b_answer": "declined"}
            self.answered.append({**row, "b_on": p.declined_on.isoformat(), "b_reason": p.reason})
        elif isinstance(p, evaluation.ProjectReviewRecorded):
            self.reviews.append(
                {
                    "project_id": pid,
                    "pilot": event.pilot,
                    "milestone_months": p.milestone_months,
                    "reviewed_on": p.reviewed_on.isoformat(),
                    "still_operating": p.still_operating,
                    "jobs_created": p.jobs_created,
                    "jobs_kept": p.jobs_kept,
                }
            )
        elif isinstance(p, intake.ProjectWithdrawn | intake.ProjectClosed):
            status = "withdrawn" if p.type == "project_withdrawn" else "closed"
            self.status.append({"pid": pid, "b_status": status})
        elif isinstance(p, funding.ProjectDecisionRecorded):
            self.decided.append(
                {
                    "project_id": pid,
                    "pilot": event.pilot,
                    "decision_id": p.decision_id,
                    "outcome": p.outcome,
                    "instrument": p.instrument,
                    "nominal_amount": p.nominal_amount,
                    "gross_grant_equivalent": p.gross_grant_equivalent,
                    "decided_on": p.decided_on.isoformat(),
                    "cancelled_on": None,
                }
            )
        elif isinstance(p, funding.ProjectDecisionCancelled):
            row = {"pid": pid, "b_pilot": event.pilot, "b_decision": p.decision_id}
            self.cancelled.append({**row, "b_on": p.cancelled_on.isoformat()})
        elif event.type == "probe_sent":
            row = {"probe_id": pid, "pilot": event.pilot, "sent_at": format_timestamp(event.occurred_at)}
            self.probes.append(row)


def _holder(organisation: intake.Organisation) -> dict[str, Any]:
    return {
        "legal_form": organisation.legal_form,
        "organisation_name": organisation.name,
        "siret": organisation.siret,
        "rna": organisation.rna,
    }


_BY_PID = project.c.project_id == bindparam("pid")
_CORRECT = (
    update(project)
    .where(_BY_PID)
    .values(
        intake_pilot=bindparam("b_pilot"),
        status="submitted",
        title_key=bindparam("b_title_key"),
        title_box=bindparam("b_title_box"),
        department=bindparam("b_department"),
        **{k: bindparam(f"b_{k}") for k in ("legal_form", "organisation_name", "siret", "rna")},
        stage=bindparam("b_stage"),
        budget_total=bindparam("b_budget"),
        planned_jobs=bindparam("b_jobs"),
    )
)
_QUALIFY = (
    update(project)
    .where(_BY_PID)
    .values(
        status=bindparam("b_status"),
        objectives=bindparam("b_objectives"),
        department=bindparam("b_department"),
    )
)
_STATUS = update(project).where(_BY_PID).values(status=bindparam("b_status"))
_ANSWER = (
    update(followup.orientation)
    .where(
        (followup.orientation.c.project_id == bindparam("pid"))
        & (followup.orientation.c.network_id == bindparam("b_network"))
    )
    .values(answer=bindparam("b_answer"), answered_on=bindparam("b_on"), decline_reason=bindparam("b_reason"))
)
_CANCEL = (
    update(decision)
    .where(
        (decision.c.project_id == bindparam("pid"))
        & (decision.c.pilot == bindparam("b_pilot"))
        & (decision.c.decision_id == bindparam("b_decision"))
    )
    .values(cancelled_on=bindparam("b_on"))
)


async def _write(conn: AsyncConnection, rows: _Rows) -> None:
    """Hand-ordered for our stories: within a project, submitted < corrected < qualified < oriented|closed,
    an orientation before its answers, a decision before its cancellation."""
    steps: Sequence[tuple[Any, list[dict[str, Any]]]] = (
        (insert(project), rows.submitted),
        (_CORRECT, rows.corrected),
        (_QUALIFY, rows.qualified),
        (_STATUS, rows.status),
        (insert(followup.orientation), rows.oriented),
        (_ANSWER, rows.answered),
        (insert(decision), rows.decided),
        (_CANCEL, rows.cancelled),
        (insert(followup.review), rows.reviews),
        (insert(timeline.timeline), rows.timeline),
        (insert(probe), rows.probes),
        (insert(applied), rows.applied),
    )
    for statement, params in steps:
        if params:
            await conn.execute(statement, params)


async def baseline(nats_url: str, db_url: str, trust: TrustStore, last_seq: int, durable: str) -> Run:
    engine = make_engine(db_url)
    nc, js = await connect(nats_url)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        sub = await _subscribe(js, durable)
        seen = 0
        while seen < last_seq:
            try:
                messages = await sub.fetch(BATCH, timeout=0.5)
            except (NatsTimeout, TimeoutError):
                continue
            rows = _Rows()
            for msg in messages:
                rows.add(_verified(trust, msg), msg.metadata.sequence.stream)
            async with engine.begin() as conn:
                await _write(conn, rows)
            for msg in messages:
                await msg.ack()
            seen = max(seen, messages[-1].metadata.sequence.stream)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        await sub.unsubscribe()
        return Run(seconds, last_seq, await _digest(engine, replay_views()), cpu)
    finally:
        await nc.close()
        await engine.dispose()


async def raw(nats_url: str, trust: TrustStore, last_seq: int, durable: str) -> Run:
    nc, js = await connect(nats_url)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        sub = await _subscribe(js, durable)
        seen = 0
        while seen < last_seq:
            try:
                messages = await sub.fetch(BATCH, timeout=0.5)
            except (NatsTimeout, TimeoutError):
                continue
            for msg in messages:
                _verified(trust, msg)
            for msg in messages:
                await msg.ack()
            seen = max(seen, messages[-1].metadata.sequence.stream)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        await sub.unsubscribe()
        return Run(seconds, last_seq, cpu=cpu)
    finally:
        await nc.close()
