"""Derived figures of one calendar year, computed from project facts: nobody types them in.

Counts are of distinct projects, dated by the event's own business date:
- projects_submitted: `submitted_on` in the year (dimension pilot: the intake pilot);
- projects_qualified: an eligible qualification with `qualified_on` in the year;
- projects_oriented: the first orientation's `oriented_on` in the year;
- projects_funded: the first live commitment, as of the year's end, in the year (dimension pilot: each
  pilot's own first live commitment); jobs_planned: the planned jobs of those projects.
Sums in cents, by pilot and instrument: funds_requested (`requested_on`), funds_committed (live
commitments as of the year's end, `committed_on`, the decision's instrument), funds_disbursed (`paid_on`).
Dimensions: total (`all`), objective, department, pilot, instrument, pilot_instrument (`pilot/instrument`);
a project serving two objectives counts under each.

Plans fully funded, as of the year's end: among projects whose opinion in force is favourable (with or
without reservations), those whose live commitments, granted co-funder lines, self-financing and in-kind
contributions equal the eligible total; beyond it a plan is over-funded and counted apart (the funding
plan's own vocabulary, ess_views.funding_plan.verdict.funding_state). Median days from submission to a
project's first funding decision (any funder, any outcome), over projects whose first decision falls in
the year.

`scope`: a set of objectives; only projects serving one of them count (an action's derived indicators).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from ess_evaluation.domain.calendar import year_end
from ess_evaluation.domain.portfolio import ELIGIBLE_OPINIONS, Portfolio, Project
from ess_views.funding_plan.verdict import FundingState, funding_state

Breakdown = dict[str, dict[str, int]]
"""dimension -> key -> value"""

COUNT_METRICS = ("projects_submitted", "projects_qualified", "projects_oriented", "projects_funded")
SUM_METRICS = ("jobs_planned", "funds_requested", "funds_committed", "funds_disbursed")


@dataclass(frozen=True)
class Entry:
    project_id: str
    pilot: str | None
    instrument: str | None = None
    amount: int = 1


@dataclass(frozen=True)
class Figures:
    year: int
    metrics: dict[str, Breakdown] = field(default_factory=dict)
    plans: int = 0
    plans_fully_funded: int = 0
    plans_over_funded: int = 0
    decided_projects: int = 0
    median_days_to_first_decision: Fraction | None = None

    def total(self, metric: str) -> int:
        return self.metrics[metric]["total"].get("all", 0)

    @property
    def fully_funded_share(self) -> Fraction | None:
        return Fraction(100 * self.plans_fully_funded, self.plans) if self.plans else None


def compute(portfolio: Portfolio, year: int, scope: frozenset[str] | None = None) -> Figures:
    return _Year(portfolio, year, scope).figures()


class _Year:
    def __init__(self, portfolio: Portfolio, year: int, scope: frozenset[str] | None) -> None:
        self.p, self.year, self.scope, self.end = portfolio, year, scope, year_end(year)
        self.projects = {k: v for k, v in portfolio.projects.items() if self.in_scope(k)}
        self.live = [c for c in portfolio.live_commitments(self.end) if self.in_scope(c.project_id)]

    def in_scope(self, project_id: str) -> bool:
        if self.scope is None:
            return True
        known = self.p.projects.get(project_id)
        return known is not None and not self.scope.isdisjoint(known.objectives)

    def within(self, day: date | None) -> bool:
        return day is not None and day.year == self.year

    def figures(self) -> Figures:
        plans, states = self.plans()
        days = self.days_to_first_decision()
        return Figures(
            year=self.year,
            metrics={**self.project_counts(), **self.funded(), **self.funds()},
            plans=plans,
            plans_fully_funded=states["fully_funded"],
            plans_over_funded=states["over_funded"],
            decided_projects=len(days),
            median_days_to_first_decision=median(days),
        )

    def project_counts(self) -> dict[str, Breakdown]:
        dated: dict[str, Callable[[Project], date | None]] = {
            "projects_submitted": lambda p: p.submitted_on,
            "projects_qualified": lambda p: p.qualified_on,
            "projects_oriented": lambda p: p.oriented_on,
        }
        return {
            metric: self.tally(
                (Entry(p.project_id, p.intake_pilot) for p in self.projects.values() if self.within(on(p))),
                distinct=True,
            )
            for metric, on in dated.items()
        }

    def funded(self) -> dict[str, Breakdown]:
        first: dict[str, date] = {}
        first_by_pilot: dict[tuple[str, str], date] = {}
        for c in self.live:
            first[c.project_id] = min(first.get(c.project_id, c.committed_on), c.committed_on)
            key = (c.project_id, c.pilot)
            first_by_pilot[key] = min(first_by_pilot.get(key, c.committed_on), c.committed_on)
        overall = [pid for pid, on in first.items() if self.within(on)]
        by_pilot = [key for key, on in first_by_pilot.items() if self.within(on)]
        jobs = {pid: p.planned_jobs for pid, p in self.projects.items()}
        funded = self.tally((Entry(pid, None) for pid in overall), distinct=True)
        funded["pilot"] = self.tally((Entry(pid, pilot) for pid, pilot in by_pilot), distinct=True)["pilot"]
        planned = self.tally((Entry(pid, None, amount=jobs.get(pid, 0)) for pid in overall), distinct=False)
        planned["pilot"] = self.tally(
            (Entry(pid, pilot, amount=jobs.get(pid, 0)) for pid, pilot in by_pilot), distinct=False
        )["pilot"]
        return {"projects_funded": funded, "jobs_planned": planned}

    def funds(self) -> dict[str, Breakdown]:
        requested = (
            Entry(r.project_id, r.pilot, r.instrument, r.amount)
            for r in self.p.requests
            if self.within(r.requested_on) and self.in_scope(r.project_id)
        )
        committed = (
            Entry(c.project_id, c.pilot, self.p.instrument_of(c), c.amount)
            for c in self.live
            if self.within(c.committed_on)
        )
        disbursed = (
            Entry(d.project_id, d.pilot, self.p.instrument_of(self.p.commitment_of(d)), d.amount)
            for d in self.p.disbursements
            if self.within(d.paid_on) and self.in_scope(d.project_id)
        )
        return {
            "funds_requested": self.tally(requested, distinct=False),
            "funds_committed": self.tally(committed, distinct=False),
            "funds_disbursed": self.tally(disbursed, distinct=False),
        }

    def plans(self) -> tuple[int, Counter[FundingState]]:
        plans, states = 0, Counter[FundingState]()
        committed: dict[str, int] = defaultdict(int)
        for c in self.live:
            committed[c.project_id] += c.amount
        for line in self.p.cofunder_lines:
            if line.status == "granted" and line.declared_on <= self.end:
                committed[line.project_id] += line.amount
        for project_id in sorted({o.project_id for o in self.p.opinions}):
            opinion = self.p.opinion_in_force(project_id, self.end)
            if opinion is None or opinion.outcome not in ELIGIBLE_OPINIONS or not self.in_scope(project_id):
                continue
            plans += 1
            covered = committed[project_id] + opinion.self_financing + opinion.in_kind
            states[funding_state(covered, opinion.eligible_total)] += 1
        return plans, states

    def days_to_first_decision(self) -> list[int]:
        first: dict[str, date] = {}
        for d in self.p.decisions:
            first[d.project_id] = min(first.get(d.project_id, d.decided_on), d.decided_on)
        return sorted(
            (on - self.projects[pid].submitted_on).days
            for pid, on in first.items()
            if pid in self.projects and self.within(on)
        )

    def tally(self, entries: Iterable[Entry], *, distinct: bool) -> Breakdown:
        seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for entry in entries:
            for dimension, key in self.keys(entry):
                seen[dimension][key].add(entry.project_id)
                sums[dimension][key] += entry.amount
        source = {d: {k: len(v) for k, v in keys.items()} for d, keys in seen.items()} if distinct else sums
        return {d: dict(sorted(source.get(d, {}).items())) for d in DIMENSIONS}

    def keys(self, entry: Entry) -> list[tuple[str, str]]:
        keys = [("total", "all")]
        if entry.pilot:
            keys.append(("pilot", entry.pilot))
        if entry.instrument:
            keys.append(("instrument", entry.instrument))
            if entry.pilot:
                keys.append(("pilot_instrument", f"{entry.pilot}/{entry.instrument}"))
        known = self.p.projects.get(entry.project_id)
        if known is not None:
            keys.append(("department", known.department))
            keys.extend(("objective", code) for code in known.objectives)
        return keys


DIMENSIONS = ("total", "objective", "department", "pilot", "instrument", "pilot_instrument")


def median(values: list[int]) -> Fraction | None:
    """The middle value, or the mean of the two middle ones (exact: 41.5 days stays 83/2)."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle])
    return Fraction(ordered[middle - 1] + ordered[middle], 2)
