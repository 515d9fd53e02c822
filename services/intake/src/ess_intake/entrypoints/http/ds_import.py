"""The import from Démarches Simplifiées: run it now, follow its progress, list the dossiers it rejected
(`ess intake import-ds`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from ess_core.auth import Principal
from ess_intake.adapters import ds_imports
from ess_intake.entrypoints.http.deps import who
from ess_intake.entrypoints.http.errors import REFUSALS, SMALL_BODY, IntakeRoute
from ess_intake.service_layer.ds_import import DsImporter

STAFF = ("instructor", "admin")
Demarche = Annotated[int, Path(ge=1, le=2**31 - 1, description="the démarche's number on DS")]


class DsRun(BaseModel):
    demarche: int
    running: bool
    started_at: str | None
    error: str | None
    counts: dict[str, int]
    """pages, read, imported, corrected, withdrawn, closed, rejected, unchanged, deleted_*"""


class DsRejection(BaseModel):
    number: int
    revision: str
    state: str
    reason: str | None
    """In French, for staff: the champ and the rule it breaks."""


def ds_import_router(importer: DsImporter, pilot: str) -> APIRouter:
    router = APIRouter(
        prefix="/imports/ds/{demarche}",
        tags=["import from Démarches Simplifiées"],
        route_class=IntakeRoute,
        max_body_size=SMALL_BODY,
        responses=REFUSALS,
    )

    @router.post("", status_code=202, response_model=DsRun)
    async def run_now(demarche: Demarche, _: Annotated[Principal, who(pilot, *STAFF)]) -> Any:
        """Import the démarche's dossiers changed since the last run, now, in the background; 409 while a
        run of it goes on."""
        return importer.start(demarche).report()

    @router.get("", response_model=DsRun)
    async def progress(demarche: Demarche, _: Annotated[Principal, who(pilot, *STAFF)]) -> Any:
        """The run going on, or the last one: its counts, and why it stopped if it did."""
        return await importer.status(demarche)

    @router.get("/rejections", response_model=list[DsRejection])
    async def rejections(demarche: Demarche, _: Annotated[Principal, who(pilot, *STAFF)]) -> Any:
        """Every dossier of the démarche that does not map to a submission, and why."""
        importer.mapping(demarche)
        async with importer.intake.runtime.engine.connect() as conn:
            return await ds_imports.rejections(conn, demarche)

    return router
