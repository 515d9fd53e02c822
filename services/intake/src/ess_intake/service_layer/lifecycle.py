"""The end of a file: the holder withdraws it, or intake closes it. An ended project no longer counts
as a duplicate, so the same project may be submitted again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import intake as events
from ess_intake.adapters import projects
from ess_intake.domain.commands import Close, Withdraw
from ess_intake.domain.errors import Invalid, NotFound
from ess_intake.domain.lifecycle import ensure_holder_or_staff, ensure_open
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.results import Acted


async def withdraw(cmd: Withdraw, intake: Intake) -> Acted:
    today = intake.today()
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        ensure_holder_or_staff(state, cmd.actor)
        await _end(conn, state.project_id, "withdrawn", today.isoformat(), cmd.withdrawal.reason)
        payload = events.ProjectWithdrawn(withdrawn_on=today, reason=cmd.withdrawal.reason)
        await intake.record(conn, state.project_id, [payload])
    return Acted(project_id=state.project_id, status="withdrawn")


async def close(cmd: Close, intake: Intake) -> Acted:
    today, body = intake.today(), cmd.closure
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        if body.duplicate_of is not None:
            await _check_original(conn, state.project_id, body.duplicate_of)
        await _end(conn, state.project_id, "closed", today.isoformat(), body.reason)
        payload = events.ProjectClosed(closed_on=today, reason=body.reason, duplicate_of=body.duplicate_of)
        await intake.record(conn, state.project_id, [payload])
    return Acted(project_id=state.project_id, status="closed")


async def _check_original(conn: AsyncConnection, project_id: str, original: str) -> None:
    if original == project_id:
        raise Invalid(("body", "duplicate_of"), "a project does not duplicate itself")
    try:
        await projects.load(conn, original)
    except NotFound as error:
        raise Invalid(("body", "duplicate_of"), f"no project {original}") from error


async def _end(conn: AsyncConnection, project_id: str, status: str, on: str, reason: str) -> None:
    await projects.update_project(
        conn,
        project_id,
        status=status,
        ended_on=on,
        end_reason=reason,
        duplicate_key=None,
        pending_request=None,
    )
