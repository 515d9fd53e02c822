"""The follow-up view: project facts from intake and the funders, follow-up reviews, and review due dates.

Rows are keyed by the issuing pilot, so events of different issuers touch different rows. The due dates
of a project are recomputed, by the domain's own rule, from every pilot's commitments and decisions each
time one of them changes: a function of the rows, hence of the set of events, whatever their order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import evaluation as ev
from ess_contracts import funding as fu
from ess_contracts import intake as it
from ess_contracts.event import Event
from ess_core.messaging.db import upsert_columns as upsert
from ess_core.messaging.view_idiom import Handler, HandlerView
from ess_evaluation.adapters import rows as r
from ess_evaluation.adapters import tables as t
from ess_evaluation.domain.portfolio import Portfolio
from ess_evaluation.domain.reviews import schedule


def _details(p: it.ProjectSubmitted | it.ProjectCorrected) -> dict[str, Any]:
    return {
        "department": p.organisation.department,
        "stage": p.project.stage,
        "third_place": int(p.project.third_place),
        "epci_partner": int(p.organisation.epci_siren is not None),
        "planned_jobs": p.project.planned_jobs,
    }


def _own(table: Any, event: Event) -> Any:
    return (table.c.project_id == event.aggregate_id) & (table.c.pilot == event.pilot)


async def _submitted(conn: AsyncConnection, event: Event, p: it.ProjectSubmitted) -> None:
    row = {"project_id": event.aggregate_id, "pilot": event.pilot, "submitted_on": p.submitted_on.isoformat()}
    await upsert(conn, t.project, {**row, **_details(p), "qualified_objectives": ""})


async def _corrected(conn: AsyncConnection, event: Event, p: it.ProjectCorrected) -> None:
    await conn.execute(update(t.project).where(_own(t.project, event)).values(**_details(p)))


async def _qualified(conn: AsyncConnection, event: Event, p: it.ProjectQualified) -> None:
    values = {
        "qualified_on": p.qualified_on.isoformat(),
        "eligible": int(p.eligible),
        "qualified_objectives": ",".join(sorted(p.objectives, key=lambda code: int(code[1:]))),
        "qualified_department": p.department,
    }
    await conn.execute(update(t.project).where(_own(t.project, event)).values(**values))


async def _oriented(conn: AsyncConnection, event: Event, p: it.ProjectOriented) -> None:
    current = await conn.scalar(select(t.project.c.first_oriented_on).where(_own(t.project, event)))
    day = p.oriented_on.isoformat()
    if current is None or day < current:
        await conn.execute(update(t.project).where(_own(t.project, event)).values(first_oriented_on=day))


async def _requested(conn: AsyncConnection, event: Event, p: fu.ProjectFundingRequested) -> None:
    row = {"requested_on": p.requested_on.isoformat(), "instrument": p.instrument, "amount": p.amount}
    await upsert(conn, t.funding_request, {**_key(event), "request_id": p.request_id, **row})


async def _decided(conn: AsyncConnection, event: Event, p: fu.ProjectDecisionRecorded) -> None:
    row = {
        "decision_id": p.decision_id,
        "decided_on": p.decided_on.isoformat(),
        "outcome": p.outcome,
        "instrument": p.instrument,
        "nominal_amount": p.nominal_amount,
    }
    await upsert(conn, t.decision, {**_key(event), **row})  # a cancellation already recorded stays
    await _reschedule(conn, event.aggregate_id)


async def _cancelled(conn: AsyncConnection, event: Event, p: fu.ProjectDecisionCancelled) -> None:
    where = _own(t.decision, event) & (t.decision.c.decision_id == p.decision_id)
    await conn.execute(update(t.decision).where(where).values(cancelled_on=p.cancelled_on.isoformat()))
    await _reschedule(conn, event.aggregate_id)


async def _committed(conn: AsyncConnection, event: Event, p: fu.ProjectCommitmentRecorded) -> None:
    row = {"decision_id": p.decision_id, "committed_on": p.committed_on.isoformat(), "amount": p.amount}
    await upsert(conn, t.commitment, {**_key(event), "commitment_id": p.commitment_id, **row})
    await _reschedule(conn, event.aggregate_id)


async def _disbursed(conn: AsyncConnection, event: Event, p: fu.ProjectDisbursementRecorded) -> None:
    row = {"commitment_id": p.commitment_id, "paid_on": p.paid_on.isoformat(), "amount": p.amount}
    await upsert(conn, t.disbursement, {**_key(event), "disbursement_id": p.disbursement_id, **row})


async def _opinion(conn: AsyncConnection, event: Event, p: fu.ProjectOpinionGiven) -> None:
    row = {
        "opinion_id": p.opinion_id,
        "event_id": event.id,
        "given_on": p.given_on.isoformat(),
        "outcome": p.outcome,
        "eligible_total": p.eligible_total,
        "self_financing": p.self_financing,
        "in_kind": p.in_kind,
    }
    await upsert(conn, t.opinion, {**_key(event), **row})


async def _cofunder(conn: AsyncConnection, event: Event, p: fu.ProjectCofunderDeclared) -> None:
    row = {"declared_on": p.declared_on.isoformat(), "amount": p.amount, "status": p.status}
    await upsert(conn, t.cofunder_line, {**_key(event), "line_id": p.cofunder_line_id, **row})


async def _reviewed(conn: AsyncConnection, event: Event, p: ev.ProjectReviewRecorded) -> None:
    row = {
        "milestone_months": p.milestone_months,
        "event_id": event.id,
        "reviewed_on": p.reviewed_on.isoformat(),
        "still_operating": int(p.still_operating),
        "jobs_created": p.jobs_created,
        "jobs_kept": p.jobs_kept,
        "remark_key": p.remark.key if p.remark else None,
        "remark_box": p.remark.box if p.remark else None,
    }
    await upsert(conn, t.review, {**_key(event), **row})


def _key(event: Event) -> dict[str, str]:
    return {"project_id": event.aggregate_id, "pilot": event.pilot}


async def _reschedule(conn: AsyncConnection, project_id: str) -> None:
    """Due dates from the project's first live commitment, all funders together (domain rule)."""
    decisions = (
        await conn.execute(select(t.decision).where(t.decision.c.project_id == project_id))
    ).mappings()
    commitments = (
        await conn.execute(select(t.commitment).where(t.commitment.c.project_id == project_id))
    ).mappings()
    portfolio = Portfolio(
        decisions=tuple(r.decision(d) for d in decisions),
        commitments=tuple(r.commitment(c) for c in commitments),
    )
    dues = schedule(project_id, portfolio.first_commitment(project_id, None))
    await conn.execute(delete(t.review_due).where(t.review_due.c.project_id == project_id))
    if dues:
        await conn.execute(insert(t.review_due), [r.due_row(d) for d in dues])


HANDLERS: dict[str, Handler] = {
    "project_submitted": _submitted,
    "project_corrected": _corrected,
    "project_qualified": _qualified,
    "project_oriented": _oriented,
    "project_funding_requested": _requested,
    "project_decision_recorded": _decided,
    "project_decision_cancelled": _cancelled,
    "project_commitment_recorded": _committed,
    "project_disbursement_recorded": _disbursed,
    "project_opinion_given": _opinion,
    "project_cofunder_declared": _cofunder,
    "project_review_recorded": _reviewed,
}


class FollowUpView(HandlerView):
    name = "evaluation_follow_up"
    tables = (
        t.project,
        t.funding_request,
        t.decision,
        t.commitment,
        t.disbursement,
        t.opinion,
        t.cofunder_line,
        t.review,
        t.review_due,
    )
    handlers = HANDLERS
