"""Orientation (O6/O7): a qualified project goes to the networks that fit it; each network accepts or
declines. Networks registered later reach existing projects when an instructor orients them again."""

from __future__ import annotations

from ess_contracts import intake as events
from ess_contracts.base import Payload
from ess_intake.adapters import networks, orientations, projects
from ess_intake.domain.commands import AnswerOrientation, Orient
from ess_intake.domain.errors import Forbidden, InvalidState, NotFound
from ess_intake.domain.lifecycle import ensure_open
from ess_intake.domain.orientation import matching_networks
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.notices import tell_networks
from ess_intake.service_layer.results import OrientationAnswered, Oriented


async def orient(cmd: Orient, intake: Intake) -> Oriented:
    today = intake.today()
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        if not state.eligible:
            raise InvalidState(f"project {state.project_id} is not eligible: it is not oriented")
        record = state.record
        fitting = await networks.profiles(conn)
        added = matching_networks(record.project, record.organisation.department, fitting, state.oriented_to)
        if added:
            await orientations.add(conn, state.project_id, added, today.isoformat())
            title = await intake.title_in(conn, state)
            await tell_networks(
                conn, intake, state.project_id, added, fitting, title, record.organisation.department
            )
            if not state.oriented_to:
                await projects.update_project(conn, state.project_id, oriented_since=today.isoformat())
            await intake.record(
                conn, state.project_id, [events.ProjectOriented(oriented_on=today, network_ids=added)]
            )
    return Oriented(project_id=state.project_id, oriented_to=list(added))


async def answer(cmd: AnswerOrientation, intake: Intake) -> OrientationAnswered:
    """The network itself (a token whose subject is its account) or an instructor recording its answer."""
    today = intake.today()
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        if not cmd.actor.staff and cmd.network_id not in await networks.ids_for_account(
            conn, cmd.actor.subject
        ):
            raise Forbidden(
                f"token subject {cmd.actor.subject!r} does not answer for network {cmd.network_id}"
            )
        row = await orientations.find(conn, state.project_id, cmd.network_id)
        if row is None:
            raise NotFound(f"project {state.project_id} was not oriented to network {cmd.network_id}")
        if row["answer"] is not None:
            raise InvalidState(f"network {cmd.network_id} already {row['answer']} project {state.project_id}")
        word = "accepted" if cmd.decline is None else "declined"
        reason = None if cmd.decline is None else cmd.decline.reason
        await orientations.answer(conn, state.project_id, cmd.network_id, word, today.isoformat(), reason)
        payload: Payload
        if cmd.decline is None:
            payload = events.ProjectOrientationAccepted(network_id=cmd.network_id, accepted_on=today)
        else:
            payload = events.ProjectOrientationDeclined(
                network_id=cmd.network_id, declined_on=today, reason=cmd.decline.reason
            )
        await intake.record(conn, state.project_id, [payload])
    return OrientationAnswered(project_id=state.project_id, network_id=cmd.network_id, answer=word)
