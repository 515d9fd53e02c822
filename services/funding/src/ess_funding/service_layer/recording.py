"""Recording one act: check it against the local plan, then store its signed event in the outbox.

The check runs the fold itself, in a savepoint that is always rolled back: this service's own events that
the view has not applied yet (still in the outbox, or on their way through the stream) are applied first,
then the act's own event; the verdicts the fold computes then are compared with those before the act. A
verdict that is new or changed is a breach the act causes or worsens: the act is refused, naming them,
unless the rule is acknowledged. "Rules run twice, one code": the same handlers and rules run again when
the event comes back from the stream, in every pilot's service, and all agree whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

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
from ess_views.funding_plan.fold import PlanView, refresh
from ess_views.funding_plan.store import load_plan, read_verdicts
from ess_views.funding_plan.verdict import Verdict
from ess_views.project import project


@dataclass(frozen=True)
class Recorded:
    event: Event
    verdicts: tuple[Verdict, ...]  # the plan's verdicts once the act is folded (as this service sees it)
    acknowledged: tuple[Verdict, ...]  # the new or changed verdicts the act went through with


async def pending_own(conn: AsyncConnection, box: Outbox, project_id: str) -> list[Event]:
    """This service's events on the project that its view has not applied yet, in sequence order (only
    those in its own pilot's name: a row written in another's name is never taken for its own)."""
    query = (
        select(outbox.c.data)
        .where(outbox.c.aggregate == "project", outbox.c.aggregate_id == project_id)
        .where(outbox.c.event_id.not_in(select(applied.c.event_id)))
        .order_by(outbox.c.sequence)
    )
    events = [Event.model_validate_json(data) for data in (await conn.scalars(query)).all()]
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

    async def record(self, project_id: str, act: Act, recorded_by: str) -> Recorded:
        async def attempt() -> Recorded:
            async with self.runtime.transaction() as conn:
                return await self._record(conn, project_id, act, recorded_by)

        return await retried(attempt)

    async def _record(self, conn: AsyncConnection, project_id: str, act: Act, recorded_by: str) -> Recorded:
        box = self.runtime.outbox
        today, margin = datetime.now(UTC).date(), self.config.legal_right_margin
        check_dates(act.payload, await submitted_on(conn, project_id), today, margin)
        sequence = await box.last_sequence(conn, "project", project_id) + 1
        event = new_event(
            act.payload, pilot=box.pilot, service=box.service, aggregate_id=project_id, sequence=sequence
        )
        before, after = await self.trial(conn, project_id, event)
        new = tuple(v for v in after if v not in before)
        refused = [v for v in new if v.rule not in act.acknowledge]
        if refused:
            acknowledgeable = all(v.rule in ACKNOWLEDGEABLE for v in refused)
            raise RuleBreach(
                f"{box.pilot}/{act.kind.label}/{act.act_id or event.id}", refused, acknowledgeable
            )
        await box.store(conn, [event])
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
        return Recorded(event, after, new)

    async def trial(
        self, conn: AsyncConnection, project_id: str, event: Event
    ) -> tuple[tuple[Verdict, ...], tuple[Verdict, ...]]:
        """The plan's verdicts before and after `event`, with this service's pending events folded in;
        raises `Refused` when the act contradicts the pilot's own acts. Leaves no trace in the view."""
        scratch = await conn.begin_nested()
        try:
            for own in await pending_own(conn, self.runtime.outbox, project_id):
                await self.view.apply(conn, own)
            await refresh(conn, project_id)
            before = await read_verdicts(conn, project_id)
            check(await load_plan(conn, project_id), event.pilot, event.payload)
            await self.view.apply(conn, event)
            return before, await read_verdicts(conn, project_id)
        finally:
            await scratch.rollback()
