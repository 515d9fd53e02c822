"""An instructor asks for a correction; the holder (or an instructor on their behalf) sends the full
corrected dossier, which is qualified and oriented again."""

from __future__ import annotations

from ess_contracts import intake as events
from ess_contracts.base import Payload
from ess_contracts.event import new_event_id
from ess_core.privacy.erasure import purge_copies
from ess_intake.adapters import corrections, networks, orientations, projects
from ess_intake.domain.commands import Correct, RequestCorrection
from ess_intake.domain.errors import Duplicate, Invalid
from ess_intake.domain.lifecycle import (
    ensure_holder_or_staff,
    ensure_no_pending_request,
    ensure_open,
    status_after,
)
from ess_intake.domain.orientation import matching_networks
from ess_intake.domain.qualification import qualified_event, qualify
from ess_intake.domain.records import (
    ProjectState,
    PublicRecord,
    budget_labels,
    public_attachment,
    public_details,
    public_organisation,
)
from ess_intake.domain.submission import Correction
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.notices import tell_correction_requested, tell_networks
from ess_intake.service_layer.results import CorrectionRequested, Qualified

MAX_FILES_PER_PROJECT = 50  # what ProjectSubmitted and ProjectCorrected carry at most


async def request_correction(cmd: RequestCorrection, intake: Intake) -> CorrectionRequested:
    today, body = intake.today(), cmd.request
    if body.answer_by is not None and body.answer_by <= today:
        raise Invalid(("body", "answer_by"), f"answer_by is after today ({today.isoformat()})")
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        ensure_no_pending_request(state)
        request_id = new_event_id()
        await corrections.add(conn, request_id, state.project_id, body, cmd.actor.subject, today.isoformat())
        await projects.update_project(
            conn, state.project_id, status="correction_requested", pending_request=request_id
        )
        payload = events.ProjectCorrectionRequested(
            request_id=request_id,
            requested_on=today,
            fields=body.fields,
            reasons=body.reasons,
            answer_by=body.answer_by,
        )
        await intake.record(conn, state.project_id, [payload])
        title = await intake.title_in(conn, state)
        await tell_correction_requested(conn, intake, state.project_id, request_id, body, title)
    return CorrectionRequested(
        project_id=state.project_id, status="correction_requested", request_id=request_id
    )


def _files_after(state: ProjectState, c: Correction) -> tuple[events.Attachment, ...]:
    kept = {a.sha256: a for a in state.record.attachments}
    for index, sha in enumerate(c.remove_attachments):
        if kept.pop(sha, None) is None:
            raise Invalid(
                ("body", "remove_attachments", index), "no attachment with this SHA-256 on the project"
            )
    for index, upload in enumerate(c.add_attachments):
        if upload.sha256 in kept:
            raise Invalid(("body", "add_attachments", index), "this file is already attached to the project")
        kept[upload.sha256] = public_attachment(upload)
    if len(kept) > MAX_FILES_PER_PROJECT:
        raise Invalid(
            ("body", "add_attachments"), f"a project has at most {MAX_FILES_PER_PROJECT} attachments"
        )
    return tuple(kept.values())


async def correct(cmd: Correct, intake: Intake) -> Qualified:
    c, today = cmd.correction, intake.today()
    async with intake.act() as conn:
        state = await projects.load(conn, cmd.project_id, for_update=True)
        ensure_open(state)
        ensure_holder_or_staff(state, cmd.actor)
        existing = await projects.find_open_duplicate(
            conn, c.organisation.siret, c.project.title, exclude=state.project_id
        )
        if existing is not None:
            raise Duplicate(existing)
        title, rectified = await intake.reseal_title(conn, state, c.project.title)
        org, details = public_organisation(c.organisation), public_details(c.project, title)
        record = PublicRecord(organisation=org, project=details, attachments=_files_after(state, c))
        q = qualify(org, details)
        fitting = await networks.profiles(conn) if q.eligible else []
        added = matching_networks(details, org.department, fitting, state.oriented_to)
        values: dict[str, object] = {
            "status": status_after(q),
            "eligible": q.eligible,
            "qualified_on": today.isoformat(),
            "objectives": ",".join(q.objectives),
            "ineligibility_reasons": ",".join(q.reasons),
            "pending_request": None,
        }
        if added and not state.oriented_to:
            values["oriented_since"] = today.isoformat()
        await projects.replace_dossier(conn, state.project_id, record, c.project.title, **values)
        private = projects.Private(c.organisation.name, c.project.description, budget_labels(c.project))
        await projects.save_private(conn, state.project_id, private, c.contact)
        await projects.remove_files(conn, state.project_id, c.remove_attachments)
        await projects.add_files(conn, state.project_id, c.add_attachments)
        await orientations.add(conn, state.project_id, added, today.isoformat())
        await tell_networks(conn, intake, state.project_id, added, fitting, c.project.title, org.department)
        if state.pending_request is not None:
            await corrections.mark_answered(conn, state.pending_request, today.isoformat())
        corrected = events.ProjectCorrected(
            corrected_on=today,
            answers_request=state.pending_request,
            organisation=org,
            project=details,
            attachments=record.attachments,
        )
        payloads: list[Payload] = [corrected, qualified_event(q, org, today)]
        if added:
            payloads.append(events.ProjectOriented(oriented_on=today, network_ids=added))
        await intake.record(conn, state.project_id, payloads)
    await purge_copies(intake.runtime.keyring, rectified)
    return Qualified(
        project_id=state.project_id,
        status=status_after(q),
        eligible=q.eligible,
        objectives=list(q.objectives),
        ineligibility_reasons=list(q.reasons),
        oriented_to=sorted(state.oriented_to | set(added)),
    )
