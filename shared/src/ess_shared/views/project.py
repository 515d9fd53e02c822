"""The project view every service holds: a fold defined once, here, so every pilot's copy agrees.

Each table holds facts from one issuer's run of events (intake's project record; each funder's own
decision rows), so events of different issuers touch different rows and commute. Totals and verdicts
across funders are queries over these rows, never stored running sums that would depend on order.
Tables: the project record (identity, status, qualification), each funder's decisions, orientation to
networks, follow-up reviews, the timeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_shared.contracts import funding, intake
from ess_shared.contracts.event import Event
from ess_shared.messaging.db import upsert
from ess_shared.messaging.schema import metadata
from ess_shared.messaging.views import table_digest
from ess_shared.views import followup, timeline

project = Table(
    "view_project",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("intake_pilot", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("title", String(200), nullable=False),
    Column("department", String(2), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("budget_total", BigInteger, nullable=False),
    Column("planned_jobs", Integer, nullable=False),
    Column("submitted_on", String(10), nullable=False),
    Column("objectives", String(64), nullable=False, server_default=""),
)

decision = Table(
    "view_project_decision",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("pilot", String(16), nullable=False),
    Column("decision_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("instrument", String(32), nullable=False),
    Column("nominal_amount", BigInteger, nullable=False),
    Column("gross_grant_equivalent", BigInteger, nullable=False),
    Column("decided_on", String(10), nullable=False),
    Column("cancelled_on", String(10), nullable=True),
    PrimaryKeyConstraint("project_id", "pilot", "decision_id"),
)

Handler = Callable[[AsyncConnection, Event, Any], Awaitable[None]]


async def _submitted(
    conn: AsyncConnection, event: Event, p: intake.ProjectSubmitted | intake.ProjectCorrected
) -> None:
    row = {
        "project_id": event.aggregate_id,
        "intake_pilot": event.pilot,
        "status": "submitted",
        "title": p.project.title,
        "department": p.organisation.department,
        "stage": p.project.stage,
        "budget_total": p.project.budget.total,
        "planned_jobs": p.project.planned_jobs,
        "submitted_on": (
            p.submitted_on if isinstance(p, intake.ProjectSubmitted) else p.corrected_on
        ).isoformat(),
        "objectives": "",
    }
    if isinstance(p, intake.ProjectCorrected):
        row.pop("submitted_on")
        row.pop("objectives")
        await conn.execute(update(project).where(project.c.project_id == event.aggregate_id).values(**row))
        return
    await upsert(conn, project, [row], ["project_id"])


async def _status(conn: AsyncConnection, event: Event, status: str, **values: object) -> None:
    stmt = update(project).where(project.c.project_id == event.aggregate_id)
    await conn.execute(stmt.values(status=status, **values))


async def _qualified(conn: AsyncConnection, event: Event, p: intake.ProjectQualified) -> None:
    status = "qualified" if p.eligible else "ineligible"
    await _status(conn, event, status, objectives=",".join(sorted(p.objectives)), department=p.department)


async def _oriented(conn: AsyncConnection, event: Event, p: intake.ProjectOriented) -> None:
    await followup.oriented(conn, event, p)
    await _status(conn, event, "oriented")


async def _decided(conn: AsyncConnection, event: Event, p: funding.ProjectDecisionRecorded) -> None:
    row = {
        "project_id": event.aggregate_id,
        "pilot": event.pilot,
        "decision_id": p.decision_id,
        "outcome": p.outcome,
        "instrument": p.instrument,
        "nominal_amount": p.nominal_amount,
        "gross_grant_equivalent": p.gross_grant_equivalent,
        "decided_on": p.decided_on.isoformat(),
        "cancelled_on": None,
    }
    await upsert(conn, decision, [row], ["project_id", "pilot", "decision_id"])


async def _cancelled(conn: AsyncConnection, event: Event, p: funding.ProjectDecisionCancelled) -> None:
    key = (decision.c.project_id == event.aggregate_id) & (decision.c.pilot == event.pilot)
    stmt = update(decision).where(key & (decision.c.decision_id == p.decision_id))
    await conn.execute(stmt.values(cancelled_on=p.cancelled_on.isoformat()))


HANDLERS: dict[str, Handler] = {
    "project_submitted": _submitted,
    "project_corrected": _submitted,
    "project_qualified": _qualified,
    "project_oriented": _oriented,
    "project_withdrawn": lambda c, e, p: _status(c, e, "withdrawn"),
    "project_closed": lambda c, e, p: _status(c, e, "closed"),
    "project_orientation_accepted": followup.answered,
    "project_orientation_declined": followup.answered,
    "project_review_recorded": followup.reviewed,
    "project_decision_recorded": _decided,
    "project_decision_cancelled": _cancelled,
}


class ProjectView:
    name = "project"
    tables = (project, decision, followup.orientation, followup.review, timeline.timeline)
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in timeline.PROJECT_TYPES

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await timeline.record(conn, event)
        handler = HANDLERS.get(event.type)
        if handler is not None:
            await handler(conn, event, event.payload)


async def project_digest(conn: AsyncConnection, project_id: str) -> str:
    """SHA-256 over the project's rows in every project table (docs/digest.md, one project)."""
    digest = hashlib.sha256()
    for table in sorted(ProjectView.tables, key=lambda t: t.name):
        rows = await table_digest(conn, table, ProjectView.digest_excluded, table.c.project_id == project_id)
        digest.update(f"{table.name}:{rows}\n".encode())
    return digest.hexdigest()
