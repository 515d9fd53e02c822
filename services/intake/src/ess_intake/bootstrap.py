"""Composition root of the intake service: what it stores, what it folds, what it serves."""

from ess_intake.adapters.tables import metadata
from ess_shared.service.spec import ServiceSpec
from ess_shared.views import shared_views

service = ServiceSpec(name="intake", metadata=metadata, views=shared_views)
