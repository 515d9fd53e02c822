"""The views the evaluation service folds besides the shared ones (`shared_views()`)."""

from __future__ import annotations

from ess_evaluation.adapters.fold import HandlerView
from ess_evaluation.adapters.projects_view import FollowUpView
from ess_evaluation.adapters.strategy_view import StrategyView


def evaluation_views() -> list[HandlerView]:
    return [StrategyView(), FollowUpView()]
