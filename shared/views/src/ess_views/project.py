"""The project view every service holds: a fold defined once, here, so every pilot's copy agrees.

Each table holds facts from one issuer's run of events (intake's project record; each funder's own
decision rows), so events of different issuers touch different rows and commute. Totals and verdicts
across funders are queries over these rows, never stored running sums that would depend on order.
Tables: the project record (identity, status, qualification), each funder's decisions, orientation to
networks, follow-up reviews, the timeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import funding, intake
from ess_contracts.event import Event
from ess_contracts.privacy import DataKeyDestroyed
from ess_core.messaging.digests import table_digest
from ess_core.messaging.schema import erased_text, erasure_request, metadata
from ess_core.messaging.view_idiom import Update, Upsert, Write, execute_writes
from ess_views import followup, timeline

project = Table(
    "view_project",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("intake_pilot", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    # The title as the stream carries it, sealed: readers open it with the keyring (ess_core.privacy).
    Column("title_key", String(64), nullable=False),
    Column("title_box", Text, nullable=False),
    Column("department", String(2), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("budget_total", BigInteger, nullable=False),
    Column("planned_jobs", Integer, nullable=False),
    Column("submitted_on", String(10), nullable=False),
    Column("objectives", String(64), nullable=False, server_default=""),
    # The holder's public identity (v3 events): a legal person's registered name, SIRET, RNA number.
    Column("legal_form", String(24), nullable=True),
    Column("organisation_name", String(200), nullable=True),
    Column("siret", String(14), nullable=True),
    Column("rna", String(10), nullable=True),
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

Handler = Callable[[Event, Any], list[Write]]
KEY = ("project_id",)


def _submitted(event: Event, p: intake.ProjectSubmitted | intake.ProjectCorrected) -> list[Write]:
    row = {
        "project_id": event.aggregate_id,
        "intake_pilot": event.pilot,
        "status": "submitted",
        "title_key": p.project.title.key,
        "title_box": p.project.title.box,
        "department": p.organisation.department,
        "legal_form": p.organisation.legal_form,
        "organisation_name": p.organisation.name,
        "siret": p.organisation.siret,
        "rna": p.organisation.rna,
        "stage": p.project.stage,
        "budget_total": p.project.budget.total,
        "planned_jobs": p.project.planned_jobs,
    }
    if isinstance(p, intake.ProjectCorrected):
        row.pop("project_id")
        return [Update(project, {"project_id": event.aggregate_id}, row)]
    row |= {"submitted_on": p.submitted_on.isoformat(), "objectives": ""}
    return [Upsert(project, [row], KEY)]


def _status(event: Event, status: str, **values: object) -> list[Write]:
    return [Update(project, {"project_id": event.aggregate_id}, {"status": status, **values})]


def _qualified(event: Event, p: intake.ProjectQualified) -> list[Write]:
    status = "qualified" if p.eligible else "ineligible"
    return _status(event, status, objectives=",".join(sorted(p.objectives)), department=p.department)


def _oriented(event: Event, p: intake.ProjectOriented) -> list[Write]:
    return [*followup.oriented(event, p), *_status(event, "oriented")]


def _decided(event: Event, p: funding.ProjectDecisionRecorded) -> list[Write]:
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
    return [Upsert(decision, [row], ("project_id", "pilot", "decision_id"))]


def _cancelled(event: Event, p: funding.ProjectDecisionCancelled) -> list[Write]:
    key = {"project_id": event.aggregate_id, "pilot": event.pilot, "decision_id": p.decision_id}
    return [Update(decision, key, {"cancelled_on": p.cancelled_on.isoformat()})]


def _erasure_requested(event: Event, p: intake.ProjectErasureRequested) -> list[Write]:
    row = {
        "project_id": event.aggregate_id,
        "request_id": p.request_id,
        "requested_on": p.requested_on.isoformat(),
    }
    return [Upsert(erasure_request, [row], ("project_id", "request_id"))]


def _key_destroyed(event: Event, p: DataKeyDestroyed) -> list[Write]:
    row = {
        "project_id": event.aggregate_id,
        "key_id": p.key,
        "pilot": event.pilot,
        "field": p.field,
        "destroyed_on": p.destroyed_on.isoformat(),
        "reason": p.reason,
    }
    return [Upsert(erased_text, [row], ("project_id", "key_id"))]


HANDLERS: dict[str, Handler] = {
    "project_submitted": _submitted,
    "project_corrected": _submitted,
    "project_qualified": _qualified,
    "project_oriented": _oriented,
    "project_withdrawn": lambda e, p: _status(e, "withdrawn"),
    "project_closed": lambda e, p: _status(e, "closed"),
    "project_orientation_accepted": followup.answered,
    "project_orientation_declined": followup.answered,
    "project_review_recorded": followup.reviewed,
    "project_decision_recorded": _decided,
    "project_decision_cancelled": _cancelled,
    "project_data_key_destroyed": _key_destroyed,
    "project_erasure_requested": _erasure_requested,
}


class ProjectView:
    """A writing view (`WritingView`): every row belongs to one issuer's run of events, so the runner
    gathers a batch's writes into a few executemany statements."""

    name = "project"
    tables = (
        project,
        decision,
        followup.orientation,
        followup.review,
        timeline.timeline,
        erased_text,
        erasure_request,
    )
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in timeline.PROJECT_TYPES

    def writes(self, event: Event) -> list[Write]:
        handler = HANDLERS.get(event.type)
        return [timeline.record(event), *(handler(event, event.payload) if handler else ())]

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await execute_writes(conn, self.writes(event))


async def project_digest(conn: AsyncConnection, project_id: str) -> str:
    """SHA-256 over the project's rows in every project table (docs/digest.md, one project)."""
    digest = hashlib.sha256()
    for table in sorted(ProjectView.tables, key=lambda t: t.name):
        rows = await table_digest(conn, table, ProjectView.digest_excluded, table.c.project_id == project_id)
        digest.update(f"{table.name}:{rows}\n".encode())
    return digest.hexdigest()


async def read_project(conn: AsyncConnection, project_id: str) -> dict[str, Any] | None:
    """The project's record (its title still sealed), each funder's decisions, the keys destroyed and
    the project digest; None when the view has no record of it."""
    row = (await conn.execute(select(project).where(project.c.project_id == project_id))).mappings().first()
    if row is None:
        return None
    decisions = select(decision).where(decision.c.project_id == project_id).order_by(*decision.primary_key)
    return {
        "project_id": project_id,
        "record": {k: v for k, v in row.items() if k != "project_id"},
        "decisions": [dict(d) for d in (await conn.execute(decisions)).mappings()],
        "erasure_requests": sorted(
            await conn.scalars(
                select(erasure_request.c.request_id).where(erasure_request.c.project_id == project_id)
            )
        ),
        "erased_keys": sorted(
            await conn.scalars(select(erased_text.c.key_id).where(erased_text.c.project_id == project_id))
        ),
        "digest": await project_digest(conn, project_id),
    }
