"""Rights on request: export everything held about one person (GDPR art. 15) and erase it (art. 17),
across every project of this intake.

The person is a holder (the subject of the token that submitted) or a contact (an e-mail address). In one
transaction per request: the data keys of the projects' sealed texts are destroyed and the destruction
signed onto the stream (so every pilot's views mark the texts erased), and what stays in intake is
emptied: the contact, the organisation's name, the description, the budget labels, the files, the
remarks of correction requests and the notices about the project. The stream keeps its boxes, which no
key left anywhere opens."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.intake import ProjectErasureRequested
from ess_contracts.reference.labels import PILOT_NAMES
from ess_contracts.types import PILOTS
from ess_core.messaging.schema import data_key, notice
from ess_core.notify.notices import forget_project
from ess_core.privacy.erasure import compact, destroy_keys, hold_keys, purge_copies
from ess_intake.adapters.tables import attachment, contact, correction_request, private, project
from ess_intake.domain.commands import Actor
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import ProjectFile
from ess_intake.service_layer.reading import access_entries, read_file
from ess_intake.service_layer.results import ExportedProject, ProjectErasure, SubjectErasure, SubjectExport

ERASED_IN_INTAKE = (
    "contact",
    "organisation.name",
    "project.description",
    "budget_lines.label",
    "attachments",
)


async def erase_subject(subject: str, intake: Intake) -> SubjectErasure:
    today, request_id = intake.today(), f"erasure-{uuid.uuid4().hex[:24]}"
    async with intake.act() as conn:
        erased = []
        for project_id in await projects_of(conn, subject):
            held = await hold_keys(conn, project_id, intake.runtime.legal_holds, today, request_id)
            keys = await destroy_keys(
                conn, intake.runtime.outbox, project_id, "erasure_request", today, request_id=request_id
            )
            # Every service of every pilot then destroys its own keys about the project (ErasureReactor).
            await intake.record(
                conn, project_id, [ProjectErasureRequested(request_id=request_id, requested_on=today)]
            )
            await _empty_private_part(conn, project_id, today.isoformat())
            erased.append(
                ProjectErasure(project_id=project_id, destroyed_keys=keys, held=held, erased=ERASED_IN_INTAKE)
            )
    await purge_copies(intake.runtime.keyring, [k for e in erased for k in e.destroyed_keys])
    await compact(
        intake.runtime.engine, (data_key, contact, private, attachment, correction_request, project, notice)
    )
    return SubjectErasure(request_id=request_id, erased_on=today, projects=erased)


async def export_subject(subject: str, actor: Actor, intake: Intake) -> SubjectExport:
    """Every file of the person, as staff read it (each read access-logged), with who read it and to
    whom the project's data went."""
    async with intake.runtime.engine.connect() as conn:
        found = await projects_of(conn, subject)
    files = []
    for project_id in found:
        file = await read_file(project_id, actor, intake)
        reads = await access_entries(project_id, intake)
        files.append(ExportedProject(file=file, access_log=reads, recipients=recipients(file, intake)))
    return SubjectExport(subject=subject, exported_on=intake.today(), projects=files)


def recipients(file: ProjectFile, intake: Intake) -> list[str]:
    """Art. 15(1)(c), in French: who received what of the project."""
    pilot = intake.runtime.outbox.pilot
    names = PILOT_NAMES
    store = intake.runtime.keyring.store
    sealed_to = sorted(store.recipients()) if store is not None else [pilot]
    found = [
        f"{names[pilot]} (instruction) : le dossier complet",
        "Services de financement et d'évaluation de "
        + ", ".join(names[p] for p in PILOTS)
        + " : les données du projet sans données personnelles, le titre scellé",
        "Agents habilités de " + ", ".join(names[p] for p in sealed_to) + " : le titre, ouvert à la lecture",
    ]
    found += [
        f"Réseau d'accompagnement {o.network_id} : le dossier, pour l'accompagnement"
        for o in file.orientations
    ]
    return found


async def projects_of(conn: AsyncConnection, subject: str) -> list[str]:
    """The projects a person submitted or is the contact of (e-mail addresses compared case-blind)."""
    query = (
        select(project.c.project_id)
        .outerjoin(contact, contact.c.project_id == project.c.project_id)
        .where(or_(project.c.submitted_by == subject, func.lower(contact.c.email) == subject.lower()))
        .order_by(project.c.project_id)
    )
    return list(await conn.scalars(query))


async def _empty_private_part(conn: AsyncConnection, project_id: str, today: str) -> None:
    own = project.c.project_id == project_id
    await conn.execute(
        update(contact)
        .where(contact.c.project_id == project_id)
        .values(name=None, email=None, phone=None, erased_on=today)
    )
    await conn.execute(
        update(private)
        .where(private.c.project_id == project_id)
        .values(organisation_name="", description="", budget_labels="{}")
    )
    await conn.execute(delete(attachment).where(attachment.c.project_id == project_id))
    await conn.execute(
        update(correction_request).where(correction_request.c.project_id == project_id).values(remark=None)
    )
    await conn.execute(update(project).where(own).values(submitted_by="erased"))
    await forget_project(conn, project_id)  # notices: the address and what they told
