"""Erasure of holders' contact data once more than the retention period has passed since their file ended.

Only intake's contact rows change: the stream never held contact data, so nothing there is touched,
and the journal (outbox) stays as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ess_intake.adapters.tables import contact, project
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.results import Erasure


async def erase_contacts(intake: Intake) -> Erasure:
    today, days = intake.today(), intake.config.contact_retention_days
    cutoff = (today - timedelta(days=days)).isoformat()
    due = (
        select(contact.c.project_id)
        .join(project, project.c.project_id == contact.c.project_id)
        .where(project.c.ended_on.is_not(None), project.c.ended_on < cutoff, contact.c.erased_on.is_(None))
        .order_by(contact.c.project_id)
    )
    async with intake.act() as conn:
        ids = list(await conn.scalars(due))
        if ids:
            values = {"name": None, "email": None, "phone": None, "erased_on": today.isoformat()}
            await conn.execute(update(contact).where(contact.c.project_id.in_(ids)).values(values))
    return Erasure(as_of=today, retention_days=days, erased=ids)
