"""`GET /projects/{id}/view` in every service: the project as this pilot's copy of the shared project
view holds it, with its title opened for the pilot's own staff. Opening a sealed text is a read of
personal data: it is logged in the service's own database (`ess_access_log`), never on the stream, and
operators, who watch services rather than files, are not served it."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import Sealed
from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.schema import data_key
from ess_core.privacy.keyring import ERASED
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.sealed_reads import STAFF, SealedReads

ProjectReader = Callable[[AsyncConnection, str], Awaitable[dict[str, Any] | None]]
"""Reads one project from the shared project view (`ess_views.project.read_project`): the views sit above
the core, so each service hands it in."""

ProjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def project_read_router(runtime: ServiceRuntime, read_project: ProjectReader) -> APIRouter:
    router = APIRouter(tags=["project"])
    staff = require_service_pilot(None, *STAFF, cross_pilot_read_roles=())

    @router.get("/projects/{project_id}/view")
    async def project_view(
        project_id: ProjectId, reader: Annotated[Principal, Depends(staff)]
    ) -> dict[str, Any]:
        """The project in this service's copy of the shared view: record, funders' decisions, digest.
        The title is opened for the reader: « [texte effacé] » once its author destroyed its key
        (`title_erased`), « [texte indisponible] » while the key has not reached this pilot. With this
        service's own keys for the project: how many are left to erase, and those it keeps by law."""
        async with runtime.engine.connect() as conn:
            found = await read_project(conn, project_id)
            own_keys = await own_key_standing(conn, project_id)
        if found is None:
            raise HTTPException(
                404, {"error": "not_found", "reason": f"no project {project_id} in this view"}
            )
        record = found["record"]
        sealed = Sealed(key=record.pop("title_key"), box=record.pop("title_box"))
        erased = sealed.key in found["erased_keys"]
        if erased:  # destroyed by its author: never opened again, even from a key still in memory
            runtime.keyring.forget(sealed.key)
        texts = SealedReads(runtime, reader)
        record["title"] = ERASED if erased else await texts.open(sealed, project_id, TITLE_FIELD)
        record["title_erasable"] = sealed.erasable
        record["title_erased"] = erased
        found.update(own_keys)
        await texts.log()
        return found

    return router


async def own_key_standing(conn: AsyncConnection, project_id: str) -> dict[str, Any]:
    """`own_keys_left`: this service's data keys for the project, 0 once it erased; `legal_holds`: the
    fields whose keys it keeps for a legal obligation (art. 17(3)(b)), each with its reason."""
    own = data_key.c.aggregate_id == project_id
    left = await conn.scalar(select(func.count()).where(own & data_key.c.held_reason.is_(None)))
    held = select(data_key.c.field, data_key.c.held_reason, data_key.c.held_since, data_key.c.held_for)
    rows = await conn.execute(
        held.where(own & data_key.c.held_reason.is_not(None)).order_by(data_key.c.field)
    )
    holds = [
        {"field": field, "reason": reason, "held_since": since, "request_id": request_id}
        for field, reason, since, request_id in rows
    ]
    return {"own_keys_left": left, "legal_holds": holds}
