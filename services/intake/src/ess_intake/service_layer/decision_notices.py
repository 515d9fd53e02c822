"""A funder's decision on a file reaches intake's copy of the project view: the holder's contact is told,
once (the notice's key names the decision). Only decisions dated in the last `RECENT_DAYS` are told, so a
view rebuilt or replayed from the start never mails a holder about the past."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from sqlalchemy import RowMapping, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.reference.labels import PILOT_NAMES, french_euros
from ess_core.messaging.schema import notice
from ess_core.notify.french import french_date
from ess_core.notify.notices import Notice, enqueue
from ess_core.notify.view_watch import ViewWatch
from ess_intake.adapters import projects
from ess_intake.adapters.tables import contact
from ess_intake.service_layer.context import Intake
from ess_views.project import decision

log = logging.getLogger(__name__)
RECENT_DAYS = 7
POLL_S = 1.0
OUTCOMES = {"granted": "accordée", "conditional": "accordée sous conditions", "refused": "refusée"}


async def run(intake: Intake) -> None:
    views = ViewWatch()
    while True:
        try:
            async with intake.runtime.engine.connect() as conn:
                moved = await views.moved(conn)
            if moved:
                await tell_new_decisions(intake)
        except Exception:  # the database busy: the next round tries again
            log.warning("telling holders of decisions failed; trying again", exc_info=True)
            views.seen = None
        await asyncio.sleep(POLL_S)


async def tell_new_decisions(intake: Intake) -> int:
    """Notices for the decisions not told yet; how many."""
    key = (
        literal("decision_recorded:")
        + decision.c.project_id
        + ":"
        + decision.c.pilot
        + ":"
        + decision.c.decision_id
    )
    since = (intake.today() - timedelta(days=RECENT_DAYS)).isoformat()
    query = (
        select(decision, contact.c.email, key.label("key"))
        .join(contact, contact.c.project_id == decision.c.project_id)
        .outerjoin(notice, notice.c.notice_key == key)
        .where(notice.c.notice_key.is_(None), contact.c.email.is_not(None), decision.c.decided_on >= since)
    )
    async with intake.runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    for row in rows:
        async with intake.act() as conn:
            await enqueue(conn, await _notice(conn, intake, row))
    return len(rows)


async def _notice(conn: AsyncConnection, intake: Intake, row: RowMapping) -> Notice:
    state = await projects.load(conn, row["project_id"])
    context = {
        "pilot": PILOT_NAMES[intake.runtime.outbox.pilot],
        "funder": PILOT_NAMES.get(row["pilot"], row["pilot"]),
        "project_id": row["project_id"],
        "title": await intake.title_in(conn, state),
        "outcome": OUTCOMES.get(row["outcome"], row["outcome"]),
        "granted": row["outcome"] != "refused",
        "amount": french_euros(row["nominal_amount"]),
        "decided_on": french_date(date.fromisoformat(row["decided_on"])),
    }
    return Notice(row["key"], "decision_recorded", row["email"], context, row["project_id"])
