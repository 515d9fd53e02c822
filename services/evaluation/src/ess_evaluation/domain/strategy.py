"""The strategy as data: actions and indicators as the governance defined them, and who may measure what.

Any pilot may issue a definition; a definition issued again by the same pilot replaces its earlier one.
When several pilots defined the same code, the one in force is the latest by `defined_on`, then event id
(UUIDv7, so time of issue): a rule on fields of the events, so every pilot's copy picks the same one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class ActionDef:
    code: str
    pilot: str
    event_id: str
    defined_on: date
    title: str
    lead_pilots: tuple[str, ...]
    objectives: tuple[str, ...]
    example: bool = False


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    pilot: str
    event_id: str
    defined_on: date
    title: str
    action_code: str | None
    kind: str
    direction: str
    unit: str
    scale: int
    source: str
    derivation: str | None
    targets: Mapping[int, int] = field(default_factory=dict)
    example: bool = False


@dataclass(frozen=True)
class Measure:
    indicator_code: str
    pilot: str
    measure_id: str
    action_code: str
    recorded_on: date
    period_start: date
    period_end: date
    value: int
    scale: int
    source: str
    remark: str = ""


class _Definition(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def defined_on(self) -> date: ...
    @property
    def event_id(self) -> str: ...


D = TypeVar("D", bound=_Definition)


def in_force(definitions: Iterable[D]) -> dict[str, D]:
    """The definition in force per code: the latest by (defined_on, event id), whoever issued it."""
    chosen: dict[str, D] = {}
    for item in definitions:
        current = chosen.get(item.code)
        if current is None or (item.defined_on, item.event_id) > (current.defined_on, current.event_id):
            chosen[item.code] = item
    return dict(sorted(chosen.items()))


class NotLeadPilot(Exception):
    """A pilot recorded (or tried to record) a measure for an action it does not lead."""

    def __init__(self, pilot: str, action: ActionDef) -> None:
        self.pilot = pilot
        self.action_code = action.code
        self.lead_pilots = action.lead_pilots
        leads = ", ".join(action.lead_pilots)
        super().__init__(
            f"pilot '{pilot}' does not lead action {action.code} ({action.title}); its lead pilots are: "
            f"{leads}. Only a lead pilot records the measures of an action."
        )


def check_lead(action: ActionDef, pilot: str) -> None:
    if pilot not in action.lead_pilots:
        raise NotLeadPilot(pilot, action)


def measure_counts(
    item: Measure, actions: Mapping[str, ActionDef], indicators: Mapping[str, IndicatorDef]
) -> bool:
    """The fold's verdict on a measure, the same rule the act checks: the indicator in force is measured
    and belongs to the measure's action, and the measuring pilot leads that action as now defined."""
    indicator = indicators.get(item.indicator_code)
    action = actions.get(item.action_code)
    if indicator is None or action is None:
        return False
    if indicator.source != "measured" or indicator.action_code != item.action_code:
        return False
    return item.pilot in action.lead_pilots
