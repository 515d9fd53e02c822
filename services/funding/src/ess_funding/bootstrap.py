"""Composition root of the funding service: what it stores, what it folds, what it serves."""

from __future__ import annotations

from ess_core.messaging.view_idiom import View
from ess_core.service.spec import ServiceSpec
from ess_funding.adapters.tables import metadata
from ess_funding.entrypoints.http import funding_router
from ess_funding.entrypoints.opendata import opendata_router
from ess_funding.entrypoints.undertakings import undertaking_router
from ess_funding.service_layer import agenda_notices
from ess_views import shared_views
from ess_views.funding_plan import funding_views
from ess_views.project import read_project
from ess_views.project_list import find_projects


def service_views() -> list[View]:
    """The views every service folds, and the funding plan (not added twice once they include it)."""
    views = shared_views()
    names = {view.name for view in views}
    return [*views, *(view for view in funding_views() if view.name not in names)]


service = ServiceSpec(
    name="funding",
    metadata=metadata,
    views=service_views,
    project_reader=read_project,
    project_finder=find_projects,
    routers=(funding_router, undertaking_router, opendata_router),
    migrations="ess_funding:migrations",
    tasks=(agenda_notices.watch,),
    notices="ess_funding",
    notice_kinds={agenda_notices.KIND: agenda_notices.LABEL},
)
