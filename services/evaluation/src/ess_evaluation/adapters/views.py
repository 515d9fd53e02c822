"""The views the evaluation service folds: its own, besides the shared ones (`shared_views()`), and all."""

from __future__ import annotations

from ess_core.messaging.view_idiom import HandlerView, View
from ess_evaluation.adapters.followup_view import FollowUpView
from ess_evaluation.adapters.strategy_view import StrategyView
from ess_views import shared_views


def evaluation_views() -> list[HandlerView]:
    return [StrategyView(), FollowUpView()]


def service_views() -> list[View]:
    """Every view of the service, in the order it folds them."""
    return [*shared_views(), *evaluation_views()]
