"""Composition root of the intake service: what it stores, what it folds, what it serves."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter

from ess_core.service.runtime import ServiceRuntime
from ess_core.service.spec import ServiceSpec
from ess_intake.adapters.tables import metadata
from ess_intake.config import IntakeConfig
from ess_intake.entrypoints.http import api_router
from ess_intake.service_layer.context import Intake, utc_today
from ess_intake.service_layer.decision_notices import run as tell_decisions
from ess_intake.service_layer.ds_import import DsImporter
from ess_views import shared_views
from ess_views.project import read_project
from ess_views.project_list import find_projects

_INTAKES: WeakKeyDictionary[ServiceRuntime, Intake] = WeakKeyDictionary()
_IMPORTERS: WeakKeyDictionary[ServiceRuntime, DsImporter] = WeakKeyDictionary()


def intake_for(
    runtime: ServiceRuntime, config: IntakeConfig | None = None, clock: Callable[[], date] = utc_today
) -> Intake:
    """One per runtime: its routes and its tasks share the acts' turns."""
    if runtime not in _INTAKES:
        _INTAKES[runtime] = Intake(runtime, config or IntakeConfig.from_env(runtime.settings), clock)
    return _INTAKES[runtime]


def importer_for(
    runtime: ServiceRuntime, config: IntakeConfig | None = None, clock: Callable[[], date] = utc_today
) -> DsImporter:
    """One per runtime: its route and its schedule share the runs in progress."""
    if runtime not in _IMPORTERS:
        intake = intake_for(runtime, config, clock)
        _IMPORTERS[runtime] = DsImporter(intake, intake.config.ds)
    return _IMPORTERS[runtime]


def build_service(config: IntakeConfig | None = None, clock: Callable[[], date] = utc_today) -> ServiceSpec:
    """The service as `ess` runs it (defaults), or with a fixed clock and settings for tests."""

    def router(runtime: ServiceRuntime) -> APIRouter:
        intake = intake_for(runtime, config, clock)
        return api_router(intake, runtime.settings.pilot, importer_for(runtime, config, clock))

    def decision_notices(runtime: ServiceRuntime) -> Coroutine[Any, Any, None]:
        return tell_decisions(intake_for(runtime, config, clock))

    def ds_schedule(runtime: ServiceRuntime) -> Coroutine[Any, Any, None]:
        return importer_for(runtime, config, clock).every()

    return ServiceSpec(
        name="intake",
        metadata=metadata,
        views=shared_views,
        routers=(router,),
        tasks=(decision_notices, ds_schedule),
        notices="ess_intake",
        project_reader=read_project,
        project_finder=find_projects,
        migrations="ess_intake:migrations",
    )


service = build_service()
