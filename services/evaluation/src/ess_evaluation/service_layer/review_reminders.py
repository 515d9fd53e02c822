"""The review scheduler: each day, for the projects this pilot funds, a follow-up review that is due (on
its day) or overdue (`OVERDUE_AFTER_DAYS` later) and not done is published once as a signed
`project_review_due`, the as-of day being the scheduler's, never a fold's; in the same transaction the
pilot's staff who chose these notices are told (each, or in their daily digest)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from ess_contracts.evaluation import ProjectReviewDue, ReminderStage
from ess_contracts.reference.labels import PILOT_NAMES
from ess_core.notify.french import french_date
from ess_core.notify.subscriptions import tell_subscribers
from ess_core.service.runtime import ServiceRuntime
from ess_evaluation.adapters import queries
from ess_evaluation.adapters.tables import commitment, review_reminder
from ess_evaluation.domain.reviews import Due, status_as_of

log = logging.getLogger(__name__)
OVERDUE_AFTER_DAYS = 30
ROUND_S = 3600.0
KINDS: dict[ReminderStage, str] = {"due": "review_due", "overdue": "review_overdue"}
LABELS = {
    "review_due": "Une revue de suivi d'un projet financé arrive à échéance",
    "review_overdue": "Une revue de suivi d'un projet financé est en retard",
}


def utc_today() -> date:
    return datetime.now(UTC).date()


async def run(runtime: ServiceRuntime, today: Callable[[], date] = utc_today) -> None:
    while True:
        try:
            await remind(runtime, today())
        except Exception:  # the database busy, the broker away: the next round tries again
            log.warning("reviews: the scheduler's round failed; trying again", exc_info=True)
        await asyncio.sleep(ROUND_S)


def stages(due: Due, day: date) -> list[ReminderStage]:
    """What a review not done is, as of `day`: due from its day, overdue a while after."""
    found: list[ReminderStage] = []
    if day >= due.due_on:
        found.append("due")
    if day >= due.due_on + timedelta(days=OVERDUE_AFTER_DAYS):
        found.append("overdue")
    return found


async def remind(runtime: ServiceRuntime, day: date) -> int:
    """The reminders due as of `day` and not published yet, each in its own transaction; how many."""
    pilot = runtime.settings.pilot
    async with runtime.engine.connect() as conn:
        funded = set(await conn.scalars(select(commitment.c.project_id).where(commitment.c.pilot == pilot)))
        statuses = status_as_of(await queries.dues(conn), await queries.reviews(conn), day)
        published = select(
            review_reminder.c.project_id, review_reminder.c.milestone_months, review_reminder.c.stage
        )
        sent = {(p, m, s) for p, m, s in await conn.execute(published)}
    todo = [
        (s.due, stage)
        for s in statuses
        if s.state != "done" and s.due.project_id in funded
        for stage in stages(s.due, day)
        if (s.due.project_id, s.due.milestone_months, stage) not in sent
    ]
    for due, stage in todo:
        await _publish(runtime, due, stage, day)
    return len(todo)


async def _publish(runtime: ServiceRuntime, due: Due, stage: ReminderStage, day: date) -> None:
    payload = ProjectReviewDue(
        milestone_months=due.milestone_months, due_on=due.due_on, stage=stage, as_of=day
    )
    context = {
        "pilot": PILOT_NAMES[runtime.settings.pilot],
        "project_id": due.project_id,
        "milestone_months": due.milestone_months,
        "due_on": french_date(due.due_on),
    }
    async with runtime.transaction() as conn:
        [event] = await runtime.outbox.record(conn, due.project_id, [payload])
        row = {
            "project_id": due.project_id,
            "milestone_months": due.milestone_months,
            "stage": stage,
            "as_of": day.isoformat(),
            "event_id": event.id,
        }
        await conn.execute(insert(review_reminder).values(row))
        about = f"{due.project_id}:{due.milestone_months}"
        await tell_subscribers(conn, runtime.unsubscribing, KINDS[stage], about, context)
