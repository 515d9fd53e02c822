"""The holder's private link: follow the project's status, see what is asked, answer it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from ess_intake.adapters import corrections, follow_links, orientations, reading
from ess_intake.domain.commands import Actor
from ess_intake.domain.errors import Gone, NotFound
from ess_intake.domain.records import PublicRecord
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import (
    CorrectionRequestView,
    FollowPage,
    HistoryEntry,
    OrientationView,
    ProjectFile,
)
from ess_intake.service_layer.reading import events_of, file_of, split
from ess_intake.service_layer.results import FollowLink


async def follow_page(project_id: str, token: str, intake: Intake) -> FollowPage:
    await ensure_link(project_id, token, intake)
    async with intake.runtime.engine.connect() as conn:
        p = await reading.project_row(conn, project_id)
        oriented = await orientations.of_project(conn, project_id)
        requests = await corrections.of_project(conn, project_id)
    record = PublicRecord.model_validate_json(p["record"])
    pending = next((r for r in requests if r["request_id"] == p["pending_request"]), None)
    return FollowPage(
        project_id=project_id,
        title=await intake.open_title(record.project.title, project_id),
        status=p["status"],
        submitted_on=p["submitted_on"],
        eligible=p["eligible"],
        objectives=split(p["objectives"]),
        orientations=[OrientationView.model_validate(o) for o in oriented],
        pending_request=CorrectionRequestView.model_validate(pending) if pending else None,
    )


async def follow_file(project_id: str, token: str, intake: Intake) -> ProjectFile:
    """The holder's own file through the link (to correct it from what was sent), its read logged."""
    await ensure_link(project_id, token, intake)
    return await file_of(project_id, Actor.holder_link(project_id), intake)


async def follow_history(project_id: str, token: str, intake: Intake) -> list[HistoryEntry]:
    await ensure_link(project_id, token, intake)
    return await events_of(project_id, intake)


async def ensure_link(project_id: str, token: str, intake: Intake) -> None:
    """A wrong token reads as an unknown project: the link's holder learns nothing else. The holder of a
    link that was real but no longer works is told so, in French, and whom to ask for a new one."""
    async with intake.runtime.engine.connect() as conn:
        state = await follow_links.current(conn, project_id, intake.config.link_ttl_days)
    generation = None if state is None else intake.links.generation_of(project_id, token, state.generation)
    if state is None or generation is None:
        raise NotFound(f"no project {project_id}")
    if generation < state.generation:
        raise Gone(f"Ce lien de suivi a été remplacé par un nouveau lien. {ASK}", link="replaced")
    if state.revoked_on is not None:
        raise Gone(f"Ce lien de suivi a été révoqué le {_day(state.revoked_on)}. {ASK}", link="revoked")
    if intake.today() > state.expires_on:
        raise Gone(f"Ce lien de suivi a expiré le {_day(state.expires_on)}. {ASK}", link="expired")


ASK = "Demandez un nouveau lien au service qui instruit votre projet."


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


Change = Callable[[follow_links.LinkState, date], follow_links.LinkState]


async def _change_link(project_id: str, intake: Intake, change: Change) -> follow_links.LinkState:
    """The link's state after `change`, saved in one act."""
    async with intake.act() as conn:
        state = await follow_links.current(conn, project_id, intake.config.link_ttl_days)
        if state is None:
            raise NotFound(f"no project {project_id}")
        changed = change(state, intake.today())
        await follow_links.save(conn, project_id, changed)
    return changed


async def issue_link(project_id: str, intake: Intake) -> FollowLink:
    """A new link for the holder (the previous one stops working), valid for the configured period."""
    days = intake.config.link_ttl_days

    def reissue(state: follow_links.LinkState, today: date) -> follow_links.LinkState:
        return follow_links.LinkState(state.generation + 1, today, today + timedelta(days=days))

    new = await _change_link(project_id, intake, reissue)
    path = intake.links.path(project_id, new.generation)
    return FollowLink(project_id=project_id, follow_link=path, expires_on=new.expires_on)


async def revoke_link(project_id: str, intake: Intake) -> FollowLink:
    """The holder's link stops working at once; `issue_link` gives a new one."""

    def revoke(state: follow_links.LinkState, today: date) -> follow_links.LinkState:
        return follow_links.LinkState(state.generation, state.issued_on, state.expires_on, today)

    gone = await _change_link(project_id, intake, revoke)
    return FollowLink(
        project_id=project_id, follow_link=None, expires_on=gone.expires_on, revoked_on=gone.revoked_on
    )
