"""Follow-up across projects, the holders' links, and the erasure of contact data."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ess_core.auth import Principal
from ess_intake.entrypoints.http.deps import ProjectId, actor, who
from ess_intake.entrypoints.http.errors import REFUSALS, SMALL_BODY, IntakeRoute
from ess_intake.service_layer import erasure, follow, reports, rights
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import UnacceptedReport
from ess_intake.service_layer.results import Erasure, FollowLink, SubjectErasure, SubjectExport

READERS = ("instructor", "decider", "admin", "operator")


class SubjectRequest(BaseModel):
    subject: Annotated[str, Field(min_length=3, max_length=254)]
    """The person: the holder's account (the subject of the token that submitted) or a contact's e-mail."""


def admin_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(route_class=IntakeRoute, max_body_size=SMALL_BODY, responses=REFUSALS)

    @router.get("/orientation/unaccepted", tags=["orientation"], response_model=UnacceptedReport)
    async def unaccepted(
        _: Annotated[Principal, who(pilot, *READERS, personal=False)],
        as_of: Annotated[date | None, Query(description="default: today")] = None,
        delay_days: Annotated[
            int | None, Query(ge=0, le=3650, description="default: the service's setting")
        ] = None,
    ) -> UnacceptedReport:
        """Eligible open projects that no network accepted within the delay, as of a date."""
        delay = intake.config.orientation_delay_days if delay_days is None else delay_days
        return await reports.unaccepted_projects(as_of or intake.today(), delay, intake)

    @router.post("/projects/{project_id}/follow-link", tags=["holder link"], response_model=FollowLink)
    async def issue_follow_link(
        project_id: ProjectId, _: Annotated[Principal, who(pilot, "instructor", "admin")]
    ) -> FollowLink:
        """A new private link for the holder, valid for the configured period; the previous one stops
        working (its holder is told, in French, that it was replaced)."""
        return await follow.issue_link(project_id, intake)

    @router.delete("/projects/{project_id}/follow-link", tags=["holder link"], response_model=FollowLink)
    async def revoke_follow_link(
        project_id: ProjectId, _: Annotated[Principal, who(pilot, "instructor", "admin")]
    ) -> FollowLink:
        """The holder's link stops working at once (a link sent to the wrong address, a holder who left)."""
        return await follow.revoke_link(project_id, intake)

    @router.post("/privacy/erasure", tags=["erasure"], response_model=SubjectErasure)
    async def erase_subject(
        request: SubjectRequest, _: Annotated[Principal, who(pilot, "admin")]
    ) -> SubjectErasure:
        """Erase a person's data from every project of this intake, on request (GDPR art. 17): the data
        keys of the projects' sealed texts are destroyed and the destruction signed onto the stream, so
        every pilot's services mark the texts erased; the contact, names, description, labels, files and
        remarks kept here are emptied."""
        return await rights.erase_subject(request.subject, intake)

    @router.post("/privacy/export", tags=["erasure"], response_model=SubjectExport)
    async def export_subject(
        request: SubjectRequest, principal: Annotated[Principal, who(pilot, "admin")]
    ) -> SubjectExport:
        """Everything held here about a person, on request (GDPR art. 15): each file (the reads are
        access-logged), who read it, and to whom the project's data went."""
        return await rights.export_subject(request.subject, actor(principal), intake)

    @router.post("/erasure/contacts", tags=["erasure"], response_model=Erasure)
    async def erase_contacts(_: Annotated[Principal, who(pilot, "admin")]) -> Erasure:
        """Erase the contact data of files ended longer ago than the retention period. The stream is
        not touched: it never carried contact data."""
        return await erasure.erase_contacts(intake)

    return router
