"""Composition root of the evaluation service: what it stores, what it folds, what it serves."""

from ess_evaluation.adapters.tables import metadata
from ess_shared.service.spec import ServiceSpec
from ess_shared.views import shared_views

service = ServiceSpec(name="evaluation", metadata=metadata, views=shared_views)
