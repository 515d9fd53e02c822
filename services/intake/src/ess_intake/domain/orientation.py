"""Orientation to support networks (O6/O7): which networks fit a project, and which projects are still
waiting for a network to accept them once the configured delay has passed, as of a given date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ess_contracts import intake


@dataclass(frozen=True)
class NetworkProfile:
    network_id: str
    stages: frozenset[str]
    needs: frozenset[str]
    departments: frozenset[str]
    active: bool = True
    name: str = ""
    email: str | None = None
    """Where the network is told of a project oriented to it (none: it is not told)."""

    def fits(self, details: intake.ProjectDetails, department: str) -> bool:
        """Covers the project's department and stage, and offers at least one of the needs."""
        return (
            self.active
            and department in self.departments
            and details.stage in self.stages
            and not self.needs.isdisjoint(details.needs)
        )


def matching_networks(
    details: intake.ProjectDetails,
    department: str,
    networks: Iterable[NetworkProfile],
    already: Iterable[str],
) -> tuple[str, ...]:
    """The networks to orient to now: those that fit and have not been oriented to before (a later
    orientation adds networks, never repeats one). Sorted, so the event does not depend on load order."""
    seen = set(already)
    return tuple(
        sorted(n.network_id for n in networks if n.fits(details, department) and n.network_id not in seen)
    )


@dataclass(frozen=True)
class OrientationClock:
    """One eligible project's orientation as of a date: when waiting started (its first orientation, or
    its qualification when no network fitted), when it ended if it did, and its acceptances."""

    project_id: str
    waiting_since: date
    ended_on: date | None
    accepted_on: tuple[date, ...]


def unaccepted(clock: OrientationClock, as_of: date, delay: timedelta) -> bool:
    """Still open on `as_of`, waiting for longer than `delay`, and no network accepted on or before
    `as_of`. Facts dated after `as_of` do not count, so the same question gives the same answer later."""
    if clock.waiting_since > as_of or (clock.ended_on is not None and clock.ended_on <= as_of):
        return False
    if as_of - clock.waiting_since <= delay:
        return False
    return not any(day <= as_of for day in clock.accepted_on)
