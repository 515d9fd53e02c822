"""The derivations a derived indicator may name: each reads one figure of the year (see figures.py).

An indicator attached to an action is computed over the projects serving one of the action's project
objectives (indicators.project_scope); otherwise over all projects. Its unit must be the derivation's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ess_evaluation.domain.figures import Figures


@dataclass(frozen=True)
class Derivation:
    name: str
    unit: str
    description: str
    value: Callable[[Figures], Fraction | None]


def _total(metric: str) -> Callable[[Figures], Fraction | None]:
    return lambda figures: Fraction(figures.total(metric))


DERIVATIONS: dict[str, Derivation] = {
    d.name: d
    for d in (
        Derivation(
            "projects_submitted", "count", "projects submitted in the year", _total("projects_submitted")
        ),
        Derivation(
            "projects_qualified",
            "count",
            "projects qualified eligible in the year",
            _total("projects_qualified"),
        ),
        Derivation(
            "projects_oriented",
            "count",
            "projects first oriented to networks in the year",
            _total("projects_oriented"),
        ),
        Derivation(
            "projects_funded", "count", "projects first committed in the year", _total("projects_funded")
        ),
        Derivation(
            "jobs_planned", "jobs", "jobs planned by the projects funded in the year", _total("jobs_planned")
        ),
        Derivation("funds_requested", "cents", "funding requested in the year", _total("funds_requested")),
        Derivation(
            "funds_committed", "cents", "live commitments made in the year", _total("funds_committed")
        ),
        Derivation("funds_disbursed", "cents", "disbursements paid in the year", _total("funds_disbursed")),
        Derivation(
            "plans_fully_funded_share",
            "percent",
            "share of favourable plans fully funded at the year's end",
            lambda figures: figures.fully_funded_share,
        ),
        Derivation(
            "median_days_to_first_decision",
            "days",
            "median days from submission to the first funding decision, decided in the year",
            lambda figures: figures.median_days_to_first_decision,
        ),
    )
}


class UnknownDerivation(ValueError):
    pass


def check_derivation(name: str, unit: str) -> None:
    derivation = DERIVATIONS.get(name)
    if derivation is None:
        raise UnknownDerivation(f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}")
    if derivation.unit != unit:
        raise UnknownDerivation(f"derivation {name!r} is in {derivation.unit}, not {unit}")
