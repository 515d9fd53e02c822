"""The intake service's HTTP API: one router per concern, all bound to one `Intake` context."""

from __future__ import annotations

from fastapi import APIRouter

from ess_intake.entrypoints.http.acts import acts_router
from ess_intake.entrypoints.http.admin import admin_router
from ess_intake.entrypoints.http.ds_import import ds_import_router
from ess_intake.entrypoints.http.follow import follow_router
from ess_intake.entrypoints.http.networks import networks_router, orientations_router
from ess_intake.entrypoints.http.privacy import privacy_router
from ess_intake.entrypoints.http.projects import projects_router
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.ds_import import DsImporter


def api_router(intake: Intake, pilot: str, importer: DsImporter) -> APIRouter:
    router = APIRouter()
    for part in (
        projects_router,
        acts_router,
        networks_router,
        orientations_router,
        admin_router,
        privacy_router,
    ):
        router.include_router(part(intake, pilot))
    router.include_router(follow_router(intake))
    router.include_router(ds_import_router(importer, pilot))
    return router
