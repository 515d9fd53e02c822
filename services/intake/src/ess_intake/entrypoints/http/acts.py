"""Acts on a project after its submission: corrections, withdrawal, closure, orientation answers."""

from typing import Annotated

from fastapi import APIRouter

from ess_core.auth import Principal
from ess_intake.domain.commands import AnswerOrientation, Close, Correct, Orient, RequestCorrection, Withdraw
from ess_intake.domain.requests import ClosureInput, CorrectionRequestInput, DeclineInput, WithdrawalInput
from ess_intake.domain.submission import Correction
from ess_intake.entrypoints.http.deps import NetworkId, ProjectId, actor, who
from ess_intake.entrypoints.http.errors import FILE_BODY, REFUSALS, IntakeRoute
from ess_intake.service_layer import corrections, lifecycle, orientation
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.results import (
    Acted,
    CorrectionRequested,
    OrientationAnswered,
    Oriented,
    Qualified,
)

STAFF = ("instructor", "admin")
HOLDERS = ("holder", "network", "instructor", "admin")


def acts_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(
        prefix="/projects/{project_id}",
        tags=["projects"],
        route_class=IntakeRoute,
        max_body_size=FILE_BODY,
        responses=REFUSALS,
    )

    @router.post("/correction-requests", response_model=CorrectionRequested)
    async def request_correction(
        project_id: ProjectId,
        body: CorrectionRequestInput,
        principal: Annotated[Principal, who(pilot, *STAFF)],
    ) -> CorrectionRequested:
        """Ask the holder to correct fields; the remark stays in intake, fields and reasons travel."""
        return await corrections.request_correction(
            RequestCorrection(project_id, body, actor(principal)), intake
        )

    @router.put("/dossier", response_model=Qualified)
    async def correct(
        project_id: ProjectId, body: Correction, principal: Annotated[Principal, who(pilot, *HOLDERS)]
    ) -> Qualified:
        """Send the full corrected dossier (answers the pending request, if any); qualified again."""
        return await corrections.correct(Correct(project_id, body, actor(principal)), intake)

    @router.post("/withdrawal", response_model=Acted)
    async def withdraw(
        project_id: ProjectId, body: WithdrawalInput, principal: Annotated[Principal, who(pilot, *HOLDERS)]
    ) -> Acted:
        """The holder (or an instructor for them) withdraws the project: no longer a duplicate to refuse."""
        return await lifecycle.withdraw(Withdraw(project_id, body, actor(principal)), intake)

    @router.post("/closure", response_model=Acted)
    async def close(
        project_id: ProjectId, body: ClosureInput, principal: Annotated[Principal, who(pilot, *STAFF)]
    ) -> Acted:
        """An instructor closes the file (completed, ineligible, no response, duplicate of another)."""
        return await lifecycle.close(Close(project_id, body, actor(principal)), intake)

    @router.post("/orientation", response_model=Oriented)
    async def orient(project_id: ProjectId, principal: Annotated[Principal, who(pilot, *STAFF)]) -> Oriented:
        """Orient again: the networks that fit now and were not oriented to before (e.g. newly registered)."""
        return await orientation.orient(Orient(project_id, actor(principal)), intake)

    @router.post("/orientations/{network_id}/acceptance", response_model=OrientationAnswered)
    async def accept(
        project_id: ProjectId,
        network_id: NetworkId,
        principal: Annotated[Principal, who(pilot, "network", *STAFF)],
    ) -> OrientationAnswered:
        """The network takes the project on (its own token), or an instructor records that it did."""
        command = AnswerOrientation(project_id, network_id, None, actor(principal))
        return await orientation.answer(command, intake)

    @router.post("/orientations/{network_id}/decline", response_model=OrientationAnswered)
    async def decline(
        project_id: ProjectId,
        network_id: NetworkId,
        body: DeclineInput,
        principal: Annotated[Principal, who(pilot, "network", *STAFF)],
    ) -> OrientationAnswered:
        """The network declines the project, with its reason."""
        return await orientation.answer(
            AnswerOrientation(project_id, network_id, body, actor(principal)), intake
        )

    return router
