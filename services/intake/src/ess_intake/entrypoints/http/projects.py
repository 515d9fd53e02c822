"""Submitting and reading projects."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Response

from ess_core.auth import Principal
from ess_intake.domain.commands import Submit
from ess_intake.domain.submission import Submission
from ess_intake.entrypoints.http.deps import IdempotencyKey, ProjectId, actor, who
from ess_intake.entrypoints.http.errors import FILE_BODY, REFUSALS, IntakeRoute
from ess_intake.service_layer import reading, submit
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import AccessLogEntry, HistoryEntry, ProjectFile
from ess_intake.service_layer.results import Submitted

READERS = ("instructor", "decider", "admin", "holder", "network")
CO_READERS = ("instructor",)  # another pilot's instructors read the files they co-instruct


def projects_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(
        prefix="/projects",
        tags=["projects"],
        route_class=IntakeRoute,
        max_body_size=FILE_BODY,
        responses=REFUSALS,
    )

    @router.post("", status_code=201, response_model=Submitted)
    async def submit_project(
        body: Submission,
        response: Response,
        principal: Annotated[Principal, who(pilot, "holder", "network", "admin")],
        idempotency_key: IdempotencyKey = None,
    ) -> Submitted:
        """Submit a project: validated (422 names each failing field), refused as a duplicate of an open
        project (409 with its id), qualified against the strategy and oriented to the fitting networks.
        The answer carries the holder's private link. Header `Idempotent-Replayed: true` on a replay."""
        answer, replayed = await submit.submit(Submit(body, actor(principal), idempotency_key), intake)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return answer

    @router.get("/{project_id}", response_model=ProjectFile)
    async def read_project(
        project_id: ProjectId, principal: Annotated[Principal, who(pilot, *READERS, cross_pilot=CO_READERS)]
    ) -> ProjectFile:
        """The whole file, personal data included: for staff, the submitter and the oriented networks, and
        another pilot's instructors. Every read is recorded in the access log."""
        return await reading.read_file(project_id, actor(principal), intake)

    @router.get("/{project_id}/history", response_model=list[HistoryEntry])
    async def project_history(
        project_id: ProjectId, principal: Annotated[Principal, who(pilot, *READERS)]
    ) -> list[HistoryEntry]:
        """The events intake issued about the project, in their sequence (from its journal)."""
        return await reading.history(project_id, actor(principal), intake)

    @router.get("/{project_id}/attachments/{sha256}", response_class=Response)
    async def download_attachment(
        project_id: ProjectId,
        sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
        principal: Annotated[Principal, who(pilot, *READERS, cross_pilot=CO_READERS)],
    ) -> Response:
        """An attachment's bytes, with the type and file name it was sent with (access-logged)."""
        content, media_type, name = await reading.attachment(project_id, sha256, actor(principal), intake)
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(content, media_type=media_type, headers=headers)

    @router.get("/{project_id}/access-log", response_model=list[AccessLogEntry])
    async def access_log(
        project_id: ProjectId, _: Annotated[Principal, who(pilot, "admin")]
    ) -> list[AccessLogEntry]:
        """Every read of the project's personal data, oldest first (`ess privacy access-log`)."""
        return await reading.access_entries(project_id, intake)

    return router
