"""Reports over all projects: those that no network accepted in time, as of a given date."""

from __future__ import annotations

from datetime import date, timedelta

from ess_intake.adapters import orientations
from ess_intake.domain.orientation import unaccepted
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import UnacceptedProject, UnacceptedReport


async def unaccepted_projects(as_of: date, delay_days: int, intake: Intake) -> UnacceptedReport:
    async with intake.runtime.engine.connect() as conn:
        clocks = await orientations.clocks(conn)
    delay = timedelta(days=delay_days)
    waiting = [c for c in clocks if unaccepted(c, as_of, delay)]
    listed = [
        UnacceptedProject(
            project_id=c.project_id,
            waiting_since=c.waiting_since,
            days_waiting=(as_of - c.waiting_since).days,
        )
        for c in sorted(waiting, key=lambda c: (c.waiting_since, c.project_id))
    ]
    return UnacceptedReport(as_of=as_of, delay_days=delay_days, projects=listed)
