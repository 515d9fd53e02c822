"""The plan view: the fold of intake's budget and every funder's acts into the plan's fact rows, then the
rules judged again over all the project's facts. Every pilot's service and the project view use it.

A handler writes only rows keyed by its event's issuer (pilot) and the act's own id, so the events of
different issuers commute; a later event of the same issuer with the same id replaces the row, in that
issuer's sequence. The status and verdicts are then recomputed from every fact of the project, so they
depend on the set of events applied, never on the order they came in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import funding as f
from ess_contracts import intake
from ess_contracts.canonical import canonical_bytes
from ess_contracts.event import Event
from ess_core.messaging.db import delete_matching, upsert
from ess_views.funding_plan import tables as t
from ess_views.funding_plan.rules import judge
from ess_views.funding_plan.store import day, refresh_judgement

Handler = Callable[[AsyncConnection, Event, Any], Awaitable[None]]


def _issuer(event: Event) -> dict[str, Any]:
    return {"project_id": event.aggregate_id, "pilot": event.pilot}


async def _put(conn: AsyncConnection, table: Table, event: Event, **values: Any) -> None:
    row = {**_issuer(event), "event_id": event.id, **values}
    await upsert(conn, table, [row], [c.name for c in table.primary_key.columns])


async def _replace(
    conn: AsyncConnection, table: Table, match: dict[str, Any], rows: Sequence[dict[str, Any]]
) -> None:
    """Replace the child rows of one act (its lines) by those of the event that set it last."""
    await conn.execute(delete_matching(table, tuple(match)), match)
    if rows:
        await conn.execute(insert(table), [{**match, **row} for row in rows])


async def _budget(conn: AsyncConnection, event: Event, p: intake.ProjectSubmitted) -> None:
    lines = [{"code": x.code, "category": x.category, "amount": x.amount} for x in p.project.budget.lines]
    await _replace(conn, t.budget_line, _issuer(event), lines)


async def _opinion(conn: AsyncConnection, event: Event, p: f.ProjectOpinionGiven) -> None:
    await _put(
        conn,
        t.opinion,
        event,
        opinion_id=p.opinion_id,
        given_on=day(p.given_on),
        outcome=p.outcome,
        eligible_total=p.eligible_total,
        self_financing=p.self_financing,
        in_kind=p.in_kind,
    )
    lines = [{"code": x.code, "category": x.category, "amount": x.eligible_amount} for x in p.eligible_lines]
    await _replace(conn, t.eligible_line, {**_issuer(event), "opinion_id": p.opinion_id}, lines)


async def _request(conn: AsyncConnection, event: Event, p: f.ProjectFundingRequested) -> None:
    await _put(
        conn,
        t.request,
        event,
        request_id=p.request_id,
        requested_on=day(p.requested_on),
        instrument=p.instrument,
        amount=p.amount,
        budget_lines=",".join(p.budget_lines),
        programme=p.programme,
    )


def _aid(p: f.ProjectDecisionRecorded | f.ProjectCofunderDeclared) -> dict[str, Any]:
    return {
        "state_aid_basis": p.state_aid_basis,
        "scheme_reference": p.scheme_reference,
        "legal_right_on": day(p.legal_right_on),
        "beneficiary_siren": p.beneficiary_siren,
        "gross_grant_equivalent": p.gross_grant_equivalent,
        "rules_version": p.rules_version,
    }


async def _cover(conn: AsyncConnection, event: Event, act: str, act_id: str, lines: Sequence[Any]) -> None:
    rows = [{"code": x.code, "amount": x.amount} for x in lines]
    await _replace(conn, t.cover, {**_issuer(event), "act": act, "act_id": act_id}, rows)


async def _decision(conn: AsyncConnection, event: Event, p: f.ProjectDecisionRecorded) -> None:
    conditions = canonical_bytes([c.model_dump(mode="json") for c in p.conditions]).decode()
    await _put(
        conn,
        t.decision,
        event,
        decision_id=p.decision_id,
        request_id=p.request_id,
        decided_on=day(p.decided_on),
        outcome=p.outcome,
        instrument=p.instrument,
        nominal_amount=p.nominal_amount,
        **_aid(p),
        conditions=conditions,
        cancelled_on=None,
        cancel_reason=None,
    )
    await _cover(conn, event, "decision", p.decision_id, p.budget_lines)


async def _cancelled(conn: AsyncConnection, event: Event, p: f.ProjectDecisionCancelled) -> None:
    key = _issuer(event) | {"decision_id": p.decision_id}
    stmt = update(t.decision).where(*(t.decision.c[k] == v for k, v in key.items()))
    await conn.execute(stmt.values(cancelled_on=day(p.cancelled_on), cancel_reason=p.reason))


async def _cofunder(conn: AsyncConnection, event: Event, p: f.ProjectCofunderDeclared) -> None:
    await _put(
        conn,
        t.cofunder,
        event,
        cofunder_line_id=p.cofunder_line_id,
        declared_on=day(p.declared_on),
        kind=p.kind,
        cofunder_siren=p.cofunder_siren,
        programme=p.programme,
        instrument=p.instrument,
        amount=p.amount,
        status=p.status,
        **_aid(p),
    )
    await _cover(conn, event, "cofunder", p.cofunder_line_id, p.budget_lines)


async def _commitment(conn: AsyncConnection, event: Event, p: f.ProjectCommitmentRecorded) -> None:
    await _put(
        conn,
        t.commitment,
        event,
        commitment_id=p.commitment_id,
        decision_id=p.decision_id,
        committed_on=day(p.committed_on),
        reference=p.reference,
        amount=p.amount,
    )


async def _tranche(conn: AsyncConnection, event: Event, p: f.ProjectTrancheScheduled) -> None:
    await _put(
        conn,
        t.tranche,
        event,
        tranche_id=p.tranche_id,
        commitment_id=p.commitment_id,
        due_on=day(p.due_on),
        amount=p.amount,
        trigger=p.trigger,
    )


async def _disbursement(conn: AsyncConnection, event: Event, p: f.ProjectDisbursementRecorded) -> None:
    await _put(
        conn,
        t.disbursement,
        event,
        disbursement_id=p.disbursement_id,
        commitment_id=p.commitment_id,
        tranche_id=p.tranche_id,
        paid_on=day(p.paid_on),
        amount=p.amount,
        payment_reference=p.payment_reference,
    )


async def _recovery(conn: AsyncConnection, event: Event, p: f.ProjectRecoveryRecorded) -> None:
    await _put(
        conn,
        t.recovery,
        event,
        recovery_id=p.recovery_id,
        decision_id=p.decision_id,
        ordered_on=day(p.ordered_on),
        amount=p.amount,
        reason=p.reason,
        reference=p.reference,
    )


async def _declaration(conn: AsyncConnection, event: Event, p: f.ProjectDeMinimisDeclared) -> None:
    """Every declaration is kept, keyed by its event; the rules use the latest (declared_on, event id)."""
    await _put(
        conn,
        t.declaration,
        event,
        declared_on=day(p.declared_on),
        beneficiary_siren=p.beneficiary_siren,
        linked_undertakings=",".join(sorted(p.linked_undertakings)),
        fiscal_year_end_month=p.fiscal_year_end_month,
    )
    aids = [
        {
            "aid_ref": a.aid_ref,
            "recipient_siren": a.recipient_siren,
            "grantor": a.grantor,
            "basis": a.basis,
            "gross_grant_equivalent": a.gross_grant_equivalent,
            "legal_right_on": day(a.legal_right_on),
        }
        for a in p.prior_aids
    ]
    await _replace(conn, t.prior_aid, {"project_id": event.aggregate_id, "event_id": event.id}, aids)


async def _acknowledged(conn: AsyncConnection, event: Event, p: f.ProjectBreachAcknowledged) -> None:
    row = {
        **_issuer(event),
        "act_event_id": p.act_event_id,
        "event_id": event.id,
        "act": p.act,
        "rules": ",".join(p.rules),
        "acknowledged_on": day(p.acknowledged_on),
        "requested_by": p.requested_by,
        "approved_by": p.approved_by,
    }
    await upsert(conn, t.acknowledgement, [row], ["project_id", "pilot", "act_event_id"])


HANDLERS: dict[str, Handler] = {
    "project_submitted": _budget,
    "project_corrected": _budget,
    "project_funding_requested": _request,
    "project_opinion_given": _opinion,
    "project_cofunder_declared": _cofunder,
    "project_decision_recorded": _decision,
    "project_commitment_recorded": _commitment,
    "project_tranche_scheduled": _tranche,
    "project_disbursement_recorded": _disbursement,
    "project_decision_cancelled": _cancelled,
    "project_recovery_recorded": _recovery,
    "project_de_minimis_declared": _declaration,
    "project_breach_acknowledged": _acknowledged,
}


async def refresh(conn: AsyncConnection, project_id: str) -> None:
    """Judge the project's plan again from all its facts and store the status and verdicts (written only
    when they change: after a request or a payment, which no rule reads, they do not)."""
    await refresh_judgement(conn, project_id, judge)


class PlanView:
    """The funding plan of every project, as every pilot holds it. A `FinishingView`: replaying a batch,
    the runner folds its events' facts, then judges each project once."""

    name = "funding_plan"
    tables = t.PLAN_TABLES
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in HANDLERS

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await self.fold(conn, event)
        await refresh(conn, event.aggregate_id)

    async def fold(self, conn: AsyncConnection, event: Event) -> None:
        """The event's fact rows, the plan not judged yet (`finish` does, once per project of a batch)."""
        await HANDLERS[event.type](conn, event, event.payload)

    async def finish(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        """Judge once each project the batch's events touched: a judgement is a function of the project's
        facts alone, so its rows end as with `apply` judging after every event."""
        for project_id in sorted({event.aggregate_id for event in events}):
            await refresh(conn, project_id)
