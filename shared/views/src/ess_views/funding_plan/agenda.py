"""The funders' committee agenda: projects that wait for decisions from two funders or more.

A pilot waits to decide on each of its requests that no decision of the same pilot answers yet; a co-funder
that is not a pilot waits while a line declared for it has status `requested`. A query over the facts,
with no clock: what is pending is a matter of which events exist, not of how long ago they came.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ess_views.funding_plan.facts import Plan


@dataclass(frozen=True, slots=True)
class Pending:
    """One thing a funder has yet to decide: a request of a pilot, or a requested co-funder line."""

    act: str
    since: str  # ISO date: requested or declared on
    instrument: str
    amount: int


@dataclass(frozen=True, slots=True)
class Awaited:
    funder: str
    pending: tuple[Pending, ...]


def awaited(plan: Plan) -> list[Awaited]:
    answered = {(d.pilot, d.request_id) for d in plan.decisions}
    by_funder: dict[str, list[Pending]] = defaultdict(list)
    for r in plan.requests:
        if (r.pilot, r.request_id) not in answered:
            act = f"{r.pilot}/request/{r.request_id}"
            pending = Pending(act, r.requested_on.isoformat(), r.instrument, r.amount)
            by_funder[f"pilot {r.pilot}"].append(pending)
    for f in plan.cofunders:
        if f.status == "requested":
            who = f.cofunder_siren or f.programme or f.cofunder_line_id
            pending = Pending(f.key, f.declared_on.isoformat(), f.instrument, f.amount)
            by_funder[f"{f.kind} {who}"].append(pending)
    return [
        Awaited(funder, tuple(sorted(items, key=lambda p: p.act)))
        for funder, items in sorted(by_funder.items())
    ]


def on_agenda(plan: Plan) -> list[Awaited] | None:
    """What each funder waits for, when two funders or more wait; None otherwise."""
    waiting = awaited(plan)
    return waiting if len(waiting) >= 2 else None
