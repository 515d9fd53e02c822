"""Which act fits which project, and who may do it. Pure checks that raise the domain's errors."""

from __future__ import annotations

from ess_intake.domain.commands import Actor
from ess_intake.domain.errors import Forbidden, InvalidState
from ess_intake.domain.qualification import Qualification
from ess_intake.domain.records import ProjectState, Status


def ensure_open(state: ProjectState) -> None:
    if state.ended:
        raise InvalidState(f"project {state.project_id} is {state.status}")


def ensure_holder_or_staff(state: ProjectState, actor: Actor) -> None:
    """The holder (through the link, or with the token that submitted) or an instructor."""
    if actor.staff or (actor.via_link and actor.subject == f"link:{state.project_id}"):
        return
    if actor.subject != state.submitted_by:
        raise Forbidden("only the holder who submitted this project, or an instructor, may do this")


def ensure_no_pending_request(state: ProjectState) -> None:
    if state.pending_request is not None:
        raise InvalidState(f"correction request {state.pending_request} is still waiting for an answer")


def status_after(q: Qualification) -> Status:
    return "qualified" if q.eligible else "ineligible"
