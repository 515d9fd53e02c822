"""The holder's private link: follow the project's status, see what is asked, answer it."""

from __future__ import annotations

from ess_intake.adapters import corrections, orientations, reading
from ess_intake.domain.errors import NotFound
from ess_intake.domain.records import PublicRecord
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import CorrectionRequestView, FollowPage, OrientationView
from ess_intake.service_layer.reading import split


async def follow_page(project_id: str, token: str, intake: Intake) -> FollowPage:
    ensure_link(project_id, token, intake)
    async with intake.runtime.engine.connect() as conn:
        p = await reading.project_row(conn, project_id)
        oriented = await orientations.of_project(conn, project_id)
        requests = await corrections.of_project(conn, project_id)
    record = PublicRecord.model_validate_json(p["record"])
    pending = next((r for r in requests if r["request_id"] == p["pending_request"]), None)
    return FollowPage(
        project_id=project_id,
        title=record.project.title,
        status=p["status"],
        submitted_on=p["submitted_on"],
        eligible=p["eligible"],
        objectives=split(p["objectives"]),
        orientations=[OrientationView.model_validate(o) for o in oriented],
        pending_request=CorrectionRequestView.model_validate(pending) if pending else None,
    )


def ensure_link(project_id: str, token: str, intake: Intake) -> None:
    """A wrong token reads as an unknown project: the link's holder learns nothing else."""
    if not intake.links.valid(project_id, token):
        raise NotFound(f"no project {project_id}")
