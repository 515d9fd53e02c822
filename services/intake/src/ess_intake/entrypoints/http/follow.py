"""The holder's private link: no account, the link is the key (see `service_layer.links`)."""

from typing import Annotated

from fastapi import APIRouter, Path

from ess_intake.domain.commands import Actor, Correct, Withdraw
from ess_intake.domain.requests import WithdrawalInput
from ess_intake.domain.submission import Correction
from ess_intake.entrypoints.http.deps import ProjectId
from ess_intake.entrypoints.http.errors import FILE_BODY, REFUSALS, IntakeRoute
from ess_intake.service_layer import corrections, follow, lifecycle
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import FollowPage, HistoryEntry, ProjectFile
from ess_intake.service_layer.results import Acted, Qualified

LinkToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{43}$", description="the secret part of the link")]


def follow_router(intake: Intake) -> APIRouter:
    router = APIRouter(
        prefix="/follow/{project_id}/{token}",
        tags=["holder link"],
        route_class=IntakeRoute,
        max_body_size=FILE_BODY,
    )
    router.responses = {n: REFUSALS[n] for n in (404, 409, 410, 413, 422)}

    @router.get("", response_model=FollowPage)
    async def follow_project(project_id: ProjectId, token: LinkToken) -> FollowPage:
        """Status, orientations and the pending correction request, if any."""
        return await follow.follow_page(project_id, token, intake)

    @router.get("/dossier", response_model=ProjectFile)
    async def own_file(project_id: ProjectId, token: LinkToken) -> ProjectFile:
        """The holder's whole file as intake holds it, to correct it from what was sent (access-logged)."""
        return await follow.follow_file(project_id, token, intake)

    @router.get("/history", response_model=list[HistoryEntry])
    async def own_history(project_id: ProjectId, token: LinkToken) -> list[HistoryEntry]:
        """The events intake issued about the project, in their sequence."""
        return await follow.follow_history(project_id, token, intake)

    @router.put("/dossier", response_model=Qualified)
    async def answer_correction(project_id: ProjectId, token: LinkToken, body: Correction) -> Qualified:
        """Send the corrected dossier (the full one, as at submission)."""
        await follow.ensure_link(project_id, token, intake)
        return await corrections.correct(Correct(project_id, body, Actor.holder_link(project_id)), intake)

    @router.post("/withdrawal", response_model=Acted)
    async def withdraw(project_id: ProjectId, token: LinkToken, body: WithdrawalInput) -> Acted:
        """The holder withdraws the project through the link."""
        await follow.ensure_link(project_id, token, intake)
        return await lifecycle.withdraw(Withdraw(project_id, body, Actor.holder_link(project_id)), intake)

    return router
