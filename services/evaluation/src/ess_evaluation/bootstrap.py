"""Composition root of the evaluation service: what it stores, what it folds, what it serves."""

from ess_evaluation.adapters.tables import metadata
from ess_evaluation.adapters.views import service_views
from ess_evaluation.entrypoints.http_acts import acts_router
from ess_evaluation.entrypoints.http_reads import reads_router
from ess_shared.service.spec import ServiceSpec

service = ServiceSpec(
    name="evaluation",
    metadata=metadata,
    views=service_views,
    routers=(acts_router, reads_router),
    migrations="ess_evaluation:migrations",
)
