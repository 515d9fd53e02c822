"""Targets against actuals: an indicator's value in a year and whether it reached its target.

Measured indicators: the measures that count (strategy.measure_counts) whose period ends in the year;
for units that are levels (percent, days) the latest measure (by period end, then recorded on, pilot,
measure id), for the others (count, cents, jobs, hours) the sum. Derived indicators: the named derivation
over the year's figures, scoped by `project_scope` when the indicator belongs to an action.
A target is reached when the actual is at least the target (direction increase or maintain) or at most
the target (direction decrease).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ess_contracts.reference.strategy import (
    EPCI_PARTNERSHIP_OBJECTIVE,
    STAGE_OBJECTIVES,
    THIRD_PLACE_OBJECTIVE,
)
from ess_evaluation.domain import figures as fig
from ess_evaluation.domain.derivations import DERIVATIONS
from ess_evaluation.domain.numbers import scaled
from ess_evaluation.domain.portfolio import Portfolio
from ess_evaluation.domain.strategy import ActionDef, IndicatorDef, Measure, measure_counts

LEVEL_UNITS = frozenset({"percent", "days"})

PROJECT_OBJECTIVES = frozenset(
    {*STAGE_OBJECTIVES.values(), THIRD_PLACE_OBJECTIVE, EPCI_PARTNERSHIP_OBJECTIVE}
)
"""The objectives a project itself serves (its stage, third place, EPCI partnership): O1-O5, O13, O14."""


def project_scope(action: ActionDef | None) -> frozenset[str] | None:
    """Which projects an action's derived indicators count: those serving one of the action's project
    objectives; all projects for an indicator of no action, or of an action serving none of them (one
    about networks, funding or governance, such as O6, O10 or O11)."""
    if action is None:
        return None
    scope = PROJECT_OBJECTIVES.intersection(action.objectives)
    return frozenset(scope) if scope else None


TargetStatus = Literal["reached", "not_reached", "no_data", "no_target"]


@dataclass(frozen=True)
class Actual:
    indicator: IndicatorDef
    year: int
    target: Fraction | None
    value: Fraction | None
    measures: int  # measures that count towards a measured indicator's value (0 for derived)

    @property
    def status(self) -> TargetStatus:
        if self.value is None:
            return "no_data"
        if self.target is None:
            return "no_target"
        if self.indicator.direction == "decrease":
            return "reached" if self.value <= self.target else "not_reached"
        return "reached" if self.value >= self.target else "not_reached"

    @property
    def percent_of_target(self) -> Fraction | None:
        if self.value is None or not self.target:
            return None
        return self.value * 100 / self.target


class Evaluator:
    """Computes actuals for one portfolio and one set of definitions, figures cached per year and scope."""

    def __init__(
        self,
        portfolio: Portfolio,
        actions: Mapping[str, ActionDef],
        indicators: Mapping[str, IndicatorDef],
        measures: Iterable[Measure],
    ) -> None:
        self.portfolio = portfolio
        self.actions = actions
        self.indicators = indicators
        self.measures = [m for m in measures if measure_counts(m, actions, indicators)]
        self._figures: dict[tuple[int, frozenset[str] | None], fig.Figures] = {}

    def figures(self, year: int, scope: frozenset[str] | None = None) -> fig.Figures:
        key = (year, scope)
        if key not in self._figures:
            self._figures[key] = fig.compute(self.portfolio, year, scope)
        return self._figures[key]

    def actual(self, indicator: IndicatorDef, year: int) -> Actual:
        target = indicator.targets.get(year)
        target_value = scaled(target, indicator.scale) if target is not None else None
        if indicator.source == "derived":
            value, count = self._derived(indicator, year), 0
        else:
            value, count = self._measured(indicator, year)
        return Actual(indicator, year, target_value, value, count)

    def _derived(self, indicator: IndicatorDef, year: int) -> Fraction | None:
        derivation = DERIVATIONS.get(indicator.derivation or "")
        if derivation is None:
            return None
        action = self.actions.get(indicator.action_code or "")
        return derivation.value(self.figures(year, project_scope(action)))

    def _measured(self, indicator: IndicatorDef, year: int) -> tuple[Fraction | None, int]:
        mine = [m for m in self.measures if m.indicator_code == indicator.code and m.period_end.year == year]
        if not mine:
            return None, 0
        if indicator.unit in LEVEL_UNITS:
            latest = max(mine, key=lambda m: (m.period_end, m.recorded_on, m.pilot, m.measure_id))
            return scaled(latest.value, latest.scale), len(mine)
        return sum((scaled(m.value, m.scale) for m in mine), Fraction(0)), len(mine)

    def counted_measures(self, year: int) -> list[Measure]:
        return [m for m in self.measures if m.period_end.year == year]
