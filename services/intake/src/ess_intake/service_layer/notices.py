"""Whom intake tells, and what (`ess_intake/notices/`, in French): the holder's contact when a correction
is asked of them and when a funder decides on their file; each network a project is oriented to. Each
notice is written in its act's transaction (ess_core.notify); the addresses stay in intake."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.reference.labels import CORRECTABLE_FIELDS, CORRECTION_REASONS, PILOT_NAMES
from ess_core.notify.french import french_date
from ess_core.notify.notices import Notice, enqueue
from ess_intake.adapters import follow_links
from ess_intake.adapters.tables import contact
from ess_intake.domain.orientation import NetworkProfile
from ess_intake.domain.requests import CorrectionRequestInput
from ess_intake.service_layer.context import Intake


async def contact_email(conn: AsyncConnection, project_id: str) -> str | None:
    """The holder's contact address; none once erased."""
    return await conn.scalar(select(contact.c.email).where(contact.c.project_id == project_id))


async def follow_url(conn: AsyncConnection, intake: Intake, project_id: str) -> str | None:
    """The holder's private link as it stands (none when revoked or past its date, or without a public
    address for this intake)."""
    state = await follow_links.current(conn, project_id, intake.config.link_ttl_days)
    if (
        intake.config.public_url is None
        or state is None
        or state.revoked_on
        or state.expires_on < intake.today()
    ):
        return None
    return intake.config.public_url + intake.links.path(project_id, state.generation)


async def tell_correction_requested(
    conn: AsyncConnection,
    intake: Intake,
    project_id: str,
    request_id: str,
    body: CorrectionRequestInput,
    title: str,
) -> None:
    email = await contact_email(conn, project_id)
    if email is None:
        return
    context = {
        "pilot": PILOT_NAMES[intake.runtime.outbox.pilot],
        "project_id": project_id,
        "title": title,
        "fields": [CORRECTABLE_FIELDS[f] for f in body.fields],
        "reasons": [CORRECTION_REASONS[r] for r in body.reasons],
        "remark": body.remark,
        "answer_by": french_date(body.answer_by) if body.answer_by else None,
        "follow_url": await follow_url(conn, intake, project_id),
    }
    key = f"correction_requested:{request_id}"
    await enqueue(conn, Notice(key, "correction_requested", email, context, project_id))


async def tell_networks(
    conn: AsyncConnection,
    intake: Intake,
    project_id: str,
    oriented: Iterable[str],
    directory: Iterable[NetworkProfile],
    title: str,
    department: str,
) -> None:
    """Each network the project was just oriented to, where the directory (as the act read it to orient)
    gives its address."""
    ids = set(oriented)
    for entry in sorted((n for n in directory if n.network_id in ids), key=lambda n: n.network_id):
        if entry.email is None:
            continue
        context = {
            "pilot": PILOT_NAMES[intake.runtime.outbox.pilot],
            "network": entry.name,
            "project_id": project_id,
            "title": title,
            "department": department,
        }
        key = f"project_oriented:{project_id}:{entry.network_id}"
        await enqueue(conn, Notice(key, "project_oriented", entry.email, context, project_id))
