"""The plan view: the fold of intake's budget and every funder's acts into the plan's fact rows, then the
rules judged again over all the project's facts. Every pilot's service and the project view use it.

A handler says which rows an event writes (`Write`s), keyed by its issuer (pilot) and the act's own id, so
the events of different issuers commute; a later event of the same issuer with the same id replaces the
row, in that issuer's sequence. Replaying, the runner gathers a batch's writes into a few statements
(`WritingView`), then judges each touched project once (`finish`): status and verdicts are recomputed from
every fact of the project, so they depend on the set of events applied, never on the order they came in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import funding as f
from ess_contracts import intake
from ess_contracts.canonical import canonical_bytes
from ess_contracts.event import Event
from ess_core.messaging.view_idiom import Replace, Update, Upsert, Write, execute_writes
from ess_views.funding_plan import tables as t
from ess_views.funding_plan.rules import judge
from ess_views.funding_plan.store import day, refresh_judgements

Handler = Callable[[Event, Any], list[Write]]


def _issuer(event: Event) -> dict[str, Any]:
    return {"project_id": event.aggregate_id, "pilot": event.pilot}


def _put(table: Table, event: Event, **values: Any) -> Upsert:
    row = {**_issuer(event), "event_id": event.id, **values}
    return Upsert(table, [row], tuple(c.name for c in table.primary_key.columns))


def _budget(event: Event, p: intake.ProjectSubmitted) -> list[Write]:
    lines = [{"code": x.code, "category": x.category, "amount": x.amount} for x in p.project.budget.lines]
    return [Replace(t.budget_line, _issuer(event), lines)]


def _opinion(event: Event, p: f.ProjectOpinionGiven) -> list[Write]:
    lines = [{"code": x.code, "category": x.category, "amount": x.eligible_amount} for x in p.eligible_lines]
    return [
        _put(
            t.opinion,
            event,
            opinion_id=p.opinion_id,
            given_on=day(p.given_on),
            outcome=p.outcome,
            eligible_total=p.eligible_total,
            self_financing=p.self_financing,
            in_kind=p.in_kind,
        ),
        Replace(t.eligible_line, {**_issuer(event), "opinion_id": p.opinion_id}, lines),
    ]


def _request(event: Event, p: f.ProjectFundingRequested) -> list[Write]:
    return [
        _put(
            t.request,
            event,
            request_id=p.request_id,
            requested_on=day(p.requested_on),
            instrument=p.instrument,
            amount=p.amount,
            budget_lines=",".join(p.budget_lines),
            programme=p.programme,
        )
    ]


def _aid(p: f.ProjectDecisionRecorded | f.ProjectCofunderDeclared) -> dict[str, Any]:
    return {
        "state_aid_basis": p.state_aid_basis,
        "scheme_reference": p.scheme_reference,
        "legal_right_on": day(p.legal_right_on),
        "beneficiary_siren": p.beneficiary_siren,
        "gross_grant_equivalent": p.gross_grant_equivalent,
        "rules_version": p.rules_version,
    }


def _cover(event: Event, act: str, act_id: str, lines: Sequence[Any]) -> Replace:
    rows = [{"code": x.code, "amount": x.amount} for x in lines]
    return Replace(t.cover, {**_issuer(event), "act": act, "act_id": act_id}, rows)


def _decision(event: Event, p: f.ProjectDecisionRecorded) -> list[Write]:
    conditions = canonical_bytes([c.model_dump(mode="json") for c in p.conditions]).decode()
    return [
        _put(
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
        ),
        _cover(event, "decision", p.decision_id, p.budget_lines),
    ]


def _cancelled(event: Event, p: f.ProjectDecisionCancelled) -> list[Write]:
    where = _issuer(event) | {"decision_id": p.decision_id}
    return [Update(t.decision, where, {"cancelled_on": day(p.cancelled_on), "cancel_reason": p.reason})]


def _cofunder(event: Event, p: f.ProjectCofunderDeclared) -> list[Write]:
    return [
        _put(
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
        ),
        _cover(event, "cofunder", p.cofunder_line_id, p.budget_lines),
    ]


def _commitment(event: Event, p: f.ProjectCommitmentRecorded) -> list[Write]:
    return [
        _put(
            t.commitment,
            event,
            commitment_id=p.commitment_id,
            decision_id=p.decision_id,
            committed_on=day(p.committed_on),
            reference=p.reference,
            amount=p.amount,
        )
    ]


def _tranche(event: Event, p: f.ProjectTrancheScheduled) -> list[Write]:
    return [
        _put(
            t.tranche,
            event,
            tranche_id=p.tranche_id,
            commitment_id=p.commitment_id,
            due_on=day(p.due_on),
            amount=p.amount,
            trigger=p.trigger,
        )
    ]


def _disbursement(event: Event, p: f.ProjectDisbursementRecorded) -> list[Write]:
    return [
        _put(
            t.disbursement,
            event,
            disbursement_id=p.disbursement_id,
            commitment_id=p.commitment_id,
            tranche_id=p.tranche_id,
            paid_on=day(p.paid_on),
            amount=p.amount,
            payment_reference=p.payment_reference,
        )
    ]


def _recovery(event: Event, p: f.ProjectRecoveryRecorded) -> list[Write]:
    return [
        _put(
            t.recovery,
            event,
            recovery_id=p.recovery_id,
            decision_id=p.decision_id,
            ordered_on=day(p.ordered_on),
            amount=p.amount,
            reason=p.reason,
            reference=p.reference,
        )
    ]


def _declaration(event: Event, p: f.ProjectDeMinimisDeclared) -> list[Write]:
    """Every declaration is kept, keyed by its event; the rules use the latest (declared_on, event id)."""
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
    return [
        Upsert(
            t.declaration,
            [
                {
                    "project_id": event.aggregate_id,
                    "event_id": event.id,
                    "pilot": event.pilot,
                    "declared_on": day(p.declared_on),
                    "beneficiary_siren": p.beneficiary_siren,
                    "linked_undertakings": ",".join(sorted(p.linked_undertakings)),
                    "fiscal_year_end_month": p.fiscal_year_end_month,
                }
            ],
            ("project_id", "event_id"),
        ),
        Replace(t.prior_aid, {"project_id": event.aggregate_id, "event_id": event.id}, aids),
    ]


def _acknowledged(event: Event, p: f.ProjectBreachAcknowledged) -> list[Write]:
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
    return [Upsert(t.acknowledgement, [row], ("project_id", "pilot", "act_event_id"))]


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


UNJUDGED_TYPES = frozenset(
    {
        "project_funding_requested",
        "project_tranche_scheduled",
        "project_disbursement_recorded",
        "project_recovery_recorded",
        "project_breach_acknowledged",
    }
)
"""Events that write only facts no rule reads (`tables.UNJUDGED`): the plan is not judged again after
them (a test holds each to its writes). A project's status row comes with its first judged event."""


async def refresh(conn: AsyncConnection, *project_ids: str) -> None:
    """Judge the projects' plans again from all their facts and store the status and verdicts (written
    only when they change: after a request or a payment, which no rule reads, they do not)."""
    await refresh_judgements(conn, project_ids, judge)


class PlanView:
    """The funding plan of every project, as every pilot holds it: a `WritingView` (the runner gathers a
    batch's fact rows) and a `FinishingView` (then it judges each touched project once)."""

    name = "funding_plan"
    tables = t.PLAN_TABLES
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in HANDLERS

    def writes(self, event: Event) -> list[Write]:
        return HANDLERS[event.type](event, event.payload)

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await self.fold(conn, event)
        if event.type not in UNJUDGED_TYPES:
            await refresh(conn, event.aggregate_id)

    async def fold(self, conn: AsyncConnection, event: Event) -> None:
        """The event's fact rows, the plan not judged yet."""
        await execute_writes(conn, self.writes(event))

    async def finish(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        """Judge each project the batch's events touched, all in a few statements: a judgement is a
        function of the project's facts alone, so its rows end as with `apply` after every event."""
        await refresh(conn, *sorted({e.aggregate_id for e in events if e.type not in UNJUDGED_TYPES}))
