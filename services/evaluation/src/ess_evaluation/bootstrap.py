"""Composition root of the evaluation service: what it stores, what it folds, what it serves."""

from ess_core.service.spec import ServiceSpec
from ess_evaluation.adapters.tables import metadata
from ess_evaluation.adapters.views import evaluation_views
from ess_evaluation.entrypoints.http_acts import acts_router
from ess_evaluation.entrypoints.http_reads import reads_router
from ess_evaluation.service_layer import review_reminders
from ess_views import shared_views
from ess_views.project import read_project
from ess_views.project_list import find_projects

service = ServiceSpec(
    name="evaluation",
    metadata=metadata,
    views=shared_views,
    own_views=evaluation_views,
    project_reader=read_project,
    project_finder=find_projects,
    routers=(acts_router, reads_router),
    migrations="ess_evaluation:migrations",
    tasks=(review_reminders.run,),
    notices="ess_evaluation",
    notice_kinds=review_reminders.LABELS,
)
