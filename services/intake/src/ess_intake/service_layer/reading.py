"""Reading a project's file: who may see the personal data, and how the tables become the answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.privacy import access_log
from ess_intake.adapters import corrections, journal, networks, orientations, reading
from ess_intake.domain.commands import Actor
from ess_intake.domain.errors import Forbidden
from ess_intake.domain.money import to_euros
from ess_intake.domain.records import PublicRecord
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import (
    AccessLogEntry,
    AttachmentView,
    BudgetLineView,
    ContactView,
    CorrectionRequestView,
    HistoryEntry,
    OrganisationView,
    OrientationView,
    ProjectFile,
    ProjectPart,
    QualificationView,
)

READER_ROLES = frozenset({"instructor", "decider", "admin"})


async def ensure_may_read(conn: AsyncConnection, project_id: str, actor: Actor) -> None:
    """Staff of this pilot; the holder who submitted; a network the project was oriented to (it needs the
    contact to take the project on)."""
    if not actor.roles.isdisjoint(READER_ROLES):
        return
    row = await reading.project_row(conn, project_id)
    if row["submitted_by"] == actor.subject:
        return
    if "network" in actor.roles:
        mine = set(await networks.ids_for_account(conn, actor.subject))
        if mine & {o["network_id"] for o in await orientations.of_project(conn, project_id)}:
            return
    raise Forbidden(f"this token may not read project {project_id}")


FILE_FIELDS = ("organisation.name", "contact", "project.description", "budget_lines.label", "attachments")
"""The personal data a file read serves, as the access log names it."""


async def logged(project_id: str, actor: Actor, fields: tuple[str, ...], intake: Intake) -> None:
    """A read of personal data, recorded with who read it (its pilot and the token's subject) and what."""
    async with intake.act() as conn:
        await access_log.record(
            conn, project_id, actor.pilot or intake.runtime.outbox.pilot, actor.subject, fields
        )


async def read_file(project_id: str, actor: Actor, intake: Intake) -> ProjectFile:
    async with intake.runtime.engine.connect() as conn:
        await ensure_may_read(conn, project_id, actor)
    return await file_of(project_id, actor, intake)


async def file_of(project_id: str, actor: Actor, intake: Intake) -> ProjectFile:
    """The whole file, its read logged with `actor`: whoever calls has checked that it may read it."""
    async with intake.runtime.engine.connect() as conn:
        rows = await reading.file_rows(conn, project_id)
        oriented = await orientations.of_project(conn, project_id)
        requests = await corrections.of_project(conn, project_id)
    await logged(project_id, actor, FILE_FIELDS, intake)
    p, record = rows.project, PublicRecord.model_validate_json(rows.project["record"])
    org, details = record.organisation, record.project
    lines = [
        BudgetLineView(
            code=b.code, label=rows.labels.get(b.code, ""), category=b.category, amount=to_euros(b.amount)
        )
        for b in details.budget.lines
    ]
    return ProjectFile(
        project_id=project_id,
        status=p["status"],
        channel=p["channel"],
        via_network=p["via_network"],
        submitted_on=p["submitted_on"],
        ended_on=p["ended_on"],
        end_reason=p["end_reason"],
        organisation=OrganisationView(**(org.model_dump() | {"name": rows.private["organisation_name"]})),
        contact=ContactView.model_validate(dict(rows.contact)),
        project=ProjectPart(
            title=await intake.open_title(details.title, project_id),
            description=rows.private["description"],
            stage=details.stage,
            third_place=details.third_place,
            needs=list(details.needs),
            budget_total=to_euros(details.budget.total),
            budget_lines=lines,
            planned_jobs=details.planned_jobs,
            start_on=details.start_on,
        ),
        attachments=[AttachmentView.model_validate(dict(a)) for a in rows.attachments],
        qualification=_qualification(p),
        orientations=[OrientationView.model_validate(o) for o in oriented],
        correction_requests=[CorrectionRequestView.model_validate(r) for r in requests],
    )


def _qualification(p: Any) -> QualificationView:
    return QualificationView(
        eligible=p["eligible"],
        objectives=split(p["objectives"]),
        ineligibility_reasons=split(p["ineligibility_reasons"]),
        qualified_on=p["qualified_on"],
    )


def split(value: str) -> list[str]:
    return value.split(",") if value else []


async def history(project_id: str, actor: Actor, intake: Intake) -> list[HistoryEntry]:
    async with intake.runtime.engine.connect() as conn:
        await reading.project_row(conn, project_id)  # 404 for an unknown project, not an empty history
        await ensure_may_read(conn, project_id, actor)
    return await events_of(project_id, intake)


async def events_of(project_id: str, intake: Intake) -> list[HistoryEntry]:
    """The events intake issued about the project: whoever calls has checked that it may read them."""
    async with intake.runtime.engine.connect() as conn:
        events = await journal.project_events(conn, project_id)
    return [
        HistoryEntry(
            sequence=e.sequence,
            type=e.type,
            event_id=e.id,
            occurred_at=e.occurred_at,
            payload=e.payload.model_dump(mode="json"),
        )
        for e in events
    ]


async def attachment(project_id: str, sha256: str, actor: Actor, intake: Intake) -> tuple[bytes, str, str]:
    async with intake.runtime.engine.connect() as conn:
        await ensure_may_read(conn, project_id, actor)
        row = await reading.file_content(conn, project_id, sha256)
    await logged(project_id, actor, (f"attachment:{sha256}",), intake)
    return bytes(row.content), str(row.media_type), str(row.file_name)


async def access_entries(project_id: str, intake: Intake) -> list[AccessLogEntry]:
    async with intake.runtime.engine.connect() as conn:
        await reading.project_row(conn, project_id)  # 404 for an unknown project
        entries = await access_log.of_project(conn, project_id)
    return [AccessLogEntry.model_validate(e) for e in entries]
