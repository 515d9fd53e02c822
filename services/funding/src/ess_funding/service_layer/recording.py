"""Recording one act: check it against the local plan, then store its signed event in the outbox.

The check runs the fold itself, in a savepoint that is always rolled back: this service's own events that
the view has not applied yet (still in the outbox, or on their way through the stream) are applied first,
then the act's own event; the verdicts the fold computes then are compared with those before the act. A
verdict that is new or changed is a breach the act causes or worsens: the act is refused, naming them,
unless the rule is acknowledged: then the act waits for a second decider (`approvals.py`). The
beneficiary's ledger is judged the same way, before and after, across every project of its single
undertaking: an aid that takes it beyond a de minimis ceiling is refused. "Rules run twice, one code": the
same handlers and rules run again when the event comes back from the stream, in every pilot's service,
and all agree whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import funding as f
from ess_contracts.base import Payload
from ess_contracts.event import Event, new_event
from ess_contracts.types import format_timestamp
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import applied, outbox
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.unit_of_work import retried
from ess_funding.adapters.tables import act as act_table
from ess_funding.config import FundingConfig
from ess_funding.domain.acts import ACKNOWLEDGEABLE, Act
from ess_funding.domain.consistency import check
from ess_funding.domain.dates import check_dates
from ess_funding.domain.refusals import RuleBreach
from ess_funding.service_layer.approvals import (
    Approval,
    Held,
    acknowledgement,
    approval_of,
    hold,
    mark_approved,
)
from ess_views.funding_plan.fold import PlanView, refresh
from ess_views.funding_plan.store import load_plan, read_verdicts
from ess_views.funding_plan.verdict import Verdict
from ess_views.project import project
from ess_views.undertaking import LedgerView
from ess_views.undertaking.ledger import judge_ledger
from ess_views.undertaking.store import load_ledger


@dataclass(frozen=True)
class Recorded:
    event: Event
    verdicts: tuple[Verdict, ...]  # the plan's verdicts once the act is folded (as this service sees it)
    acknowledged: tuple[Verdict, ...]  # the new or changed verdicts the act went through with
    undertaking: tuple[Verdict, ...] = ()  # the ledger's verdicts on the aid's undertaking, once folded
    acknowledgement: Event | None = None  # the two deciders' signed acknowledgement of `acknowledged`


@dataclass(frozen=True)
class Trial:
    before: tuple[Verdict, ...]
    after: tuple[Verdict, ...]
    ledger_before: tuple[Verdict, ...]
    ledger_after: tuple[Verdict, ...]

    @property
    def new(self) -> tuple[Verdict, ...]:
        """Plan verdicts the act causes or changes."""
        return tuple(v for v in self.after if v not in self.before)

    @property
    def ledger_worse(self) -> tuple[Verdict, ...]:
        """Ledger verdicts the act causes or worsens (a higher total), but for one that only repeats, with
        the same figures, a new verdict of the plan (the aid's own project holds all that counts)."""
        totals = {(v.subject, v.act): v.total for v in self.ledger_before}
        plan = {(v.act_event_id, v.limit, v.total) for v in self.new if v.rule == "de_minimis"}
        return tuple(
            v
            for v in self.ledger_after
            if v.total > totals.get((v.subject, v.act), -1) and (v.act_event_id, v.limit, v.total) not in plan
        )


def aid_sirens(payload: Payload) -> frozenset[str]:
    """The SIRENs whose ledger an act of a plan can take further: the beneficiaries of its aid."""
    if (
        isinstance(payload, f.ProjectDecisionRecorded | f.ProjectCofunderDeclared)
        and payload.beneficiary_siren
    ):
        return frozenset({payload.beneficiary_siren})
    if isinstance(payload, f.ProjectDeMinimisDeclared):
        return frozenset({payload.beneficiary_siren, *(a.recipient_siren for a in payload.prior_aids)})
    return frozenset()


async def pending_own(conn: AsyncConnection, box: Outbox, project_id: str | None = None) -> list[Event]:
    """This service's events (on the project, or on anything) that its views have not applied yet, in
    sequence order (only those in its own pilot's name: a row written in another's name is never taken
    for its own)."""
    query = select(outbox.c.data).where(outbox.c.event_id.not_in(select(applied.c.event_id)))
    if project_id is not None:
        query = query.where(outbox.c.aggregate == "project", outbox.c.aggregate_id == project_id)
    events = [
        Event.model_validate_json(data)
        for data in (await conn.scalars(query.order_by(outbox.c.aggregate_id, outbox.c.sequence))).all()
    ]
    return [e for e in events if (e.pilot, e.service) == (box.pilot, box.service)]


async def submitted_on(conn: AsyncConnection, project_id: str) -> date | None:
    """The project's submission date, as the project view folded it (None: not known here yet)."""
    found = await conn.scalar(select(project.c.submitted_on).where(project.c.project_id == project_id))
    return date.fromisoformat(found) if found else None


class Recorder:
    def __init__(self, runtime: ServiceRuntime, config: FundingConfig) -> None:
        self.runtime = runtime
        self.config = config
        self.view = PlanView()
        self.ledger = LedgerView()

    async def record(
        self, project_id: str, act: Act, recorded_by: str, approval: Approval | None = None
    ) -> Recorded | Held:
        """Record the act, or hold it for a second decider when it goes through a breach it acknowledges
        (`approval` is that decider's: the act is then recorded with its acknowledgement)."""

        async def attempt() -> Recorded | Held:
            async with self.runtime.transaction() as conn:
                return await self._record(conn, project_id, act, recorded_by, approval)

        return await retried(attempt)

    async def approve(self, pending_id: str, approver: str) -> tuple[str, Act, Recorded]:
        """Record a held act with its acknowledgement by `approver`, a second decider."""
        async with self.runtime.engine.connect() as conn:
            project_id, act, approval = await approval_of(
                conn, pending_id, approver, self.runtime.outbox.pilot
            )
        recorded = await self.record(project_id, act, approval.requested_by, approval)
        assert isinstance(recorded, Recorded)  # with an approval, an act is never held again
        return project_id, act, recorded

    async def _record(
        self, conn: AsyncConnection, project_id: str, act: Act, recorded_by: str, approval: Approval | None
    ) -> Recorded | Held:
        box = self.runtime.outbox
        act = await self.sealed(conn, project_id, act)
        today, margin = datetime.now(UTC).date(), self.config.legal_right_margin
        check_dates(act.payload, await submitted_on(conn, project_id), today, margin)
        sequence = await box.last_sequence(conn, "project", project_id) + 1
        event = new_event(
            act.payload, pilot=box.pilot, service=box.service, aggregate_id=project_id, sequence=sequence
        )
        trial = await self.trial(conn, project_id, event)
        new = trial.new
        act_key = f"{box.pilot}/{act.kind.label}/{act.act_id or event.id}"
        refused = [*(v for v in new if v.rule not in act.acknowledge), *trial.ledger_worse]
        if refused:
            acknowledgeable = all(v.rule in ACKNOWLEDGEABLE for v in refused)
            raise RuleBreach(act_key, refused, acknowledgeable)
        if new and approval is None:
            return Held(await hold(conn, project_id, act, recorded_by), act, new)
        events = [event]
        if new and approval is not None:
            acknowledged = acknowledgement(box, act_key, event, new, approval, today)
            events.append(
                new_event(
                    acknowledged,
                    pilot=box.pilot,
                    service=box.service,
                    aggregate_id=project_id,
                    sequence=sequence + 1,
                )
            )
        await box.store(conn, events)
        if approval is not None:
            await mark_approved(conn, approval, event.id)
        await conn.execute(
            insert(act_table).values(
                event_id=event.id,
                project_id=project_id,
                kind=act.kind.path,
                act_id=act.act_id,
                recorded_by=recorded_by,
                acknowledged=",".join(sorted({v.rule for v in new})),
                recorded_at=format_timestamp(datetime.now(UTC)),
            )
        )
        return Recorded(event, trial.after, new, trial.ledger_after, events[1] if len(events) > 1 else None)

    async def sealed(self, conn: AsyncConnection, project_id: str, act: Act) -> Act:
        """The act with its free text sealed under this pilot's keys for the project (a held act is
        stored sealed: its approval seals nothing again)."""
        if not act.texts:
            return act
        seal, payload = self.runtime.sealer.seal, act.payload
        update: dict[str, object] = {}
        if "remark" in act.texts:
            update["remark"] = await seal(conn, project_id, f.OPINION_REMARK_FIELD, act.texts["remark"])
        if isinstance(payload, f.ProjectDecisionRecorded):
            conditions = []
            for i, condition in enumerate(payload.conditions):
                text = act.texts.get(f"conditions.{i}.detail")
                detail = await seal(conn, project_id, f.CONDITION_DETAIL_FIELD, text) if text else None
                conditions.append(condition.model_copy(update={"detail": detail}))
            update["conditions"] = tuple(conditions)
        return replace(act, payload=payload.model_copy(update=update), texts={})

    async def trial(self, conn: AsyncConnection, project_id: str, event: Event) -> Trial:
        """The plan's verdicts, and the ledger's on the aid's beneficiaries, before and after `event`,
        with this service's pending events folded in (on every project when the act grants aid: the
        ledger spans them); raises `Refused` when the act contradicts the pilot's own acts. Leaves no
        trace in the views."""
        sirens = aid_sirens(event.payload)
        scratch = await conn.begin_nested()
        try:
            for own in await pending_own(conn, self.runtime.outbox, None if sirens else project_id):
                for view in (self.view, self.ledger):
                    if view.handles(own.type):
                        await view.apply(conn, own)
            await refresh(conn, project_id)
            before, ledger_before = await read_verdicts(conn, project_id), await self._ledger(conn, sirens)
            check(await load_plan(conn, project_id), event.pilot, event.payload)
            await self.view.apply(conn, event)
            after, ledger_after = await read_verdicts(conn, project_id), await self._ledger(conn, sirens)
            return Trial(before, after, ledger_before, ledger_after)
        finally:
            await scratch.rollback()

    @staticmethod
    async def _ledger(conn: AsyncConnection, sirens: frozenset[str]) -> tuple[Verdict, ...]:
        return judge_ledger(await load_ledger(conn, sirens)) if sirens else ()
