"""Rules across funders, pure functions of a plan's facts. Acts are ordered by their own dates, then by
event id, so every pilot names the same act whatever order the events reached it in.

What funds the plan: self-financing and in-kind (from the opinion in force), commitments of decisions that
still grant, and co-funder lines declared `granted`. A guarantee secures financing without providing it,
so guarantees are left out of funding and of line coverage; recoveries do not reduce commitments (partial
reductions are not in version 1 of the contracts: cancelling a decision releases its commitments).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from ess_views.funding_plan.deminimis import de_minimis
from ess_views.funding_plan.facts import Plan
from ess_views.funding_plan.verdict import Judgement, PlanStatus, Summary, Verdict, funding_state

NOT_FUNDING = frozenset({"guarantee"})


@dataclass(frozen=True, slots=True)
class Contribution:
    key: str
    event_id: str
    on: date
    amount: int
    funder: str

    @property
    def order(self) -> tuple[date, str, str]:
        return (self.on, self.event_id, self.key)


def commitments(plan: Plan) -> list[Contribution]:
    """Commitments of decisions that still grant, in the rule order."""
    found = []
    for c in plan.commitments:
        decision = plan.decision(c.pilot, c.decision_id)
        if decision is not None and decision.grants and decision.instrument not in NOT_FUNDING:
            found.append(Contribution(c.key, c.event_id, c.committed_on, c.amount, f"pilot {c.pilot}"))
    return sorted(found, key=lambda c: c.order)


def cofunding(plan: Plan) -> list[Contribution]:
    found = [
        Contribution(f.key, f.event_id, f.declared_on, f.amount, f.key)
        for f in plan.cofunders
        if f.status == "granted" and f.instrument not in NOT_FUNDING
    ]
    return sorted(found, key=lambda c: c.order)


def over_funding(plan: Plan) -> Verdict | None:
    """Self-financing, in-kind, commitments and granted co-funding beyond the eligible budget; the act
    named is the first, in order, after which the running total exceeds it."""
    opinion = plan.opinion
    if opinion is None:
        return None
    limit = opinion.eligible_total
    counted = [("self-financing", opinion.self_financing), ("in-kind", opinion.in_kind)]
    running = opinion.self_financing + opinion.in_kind
    crossing: tuple[str, str, date] | None = None
    if running > limit:  # the opinion itself left no room: it is the act that set the line
        crossing = (opinion.key, opinion.event_id, opinion.given_on)
    for c in sorted(commitments(plan) + cofunding(plan), key=lambda c: c.order):
        running += c.amount
        counted.append((c.key, c.amount))
        if crossing is None and running > limit:
            crossing = (c.key, c.event_id, c.on)
    if crossing is None:
        return None
    return Verdict(
        rule="over_funding",
        subject="the plan",
        act=crossing[0],
        act_event_id=crossing[1],
        act_on=crossing[2],
        window=(
            f"the eligible budget of {opinion.key} given on {opinion.given_on.isoformat()}; "
            "commitments and granted co-funding ordered by date, then event id"
        ),
        window_from=None,
        window_to=None,
        regulation=None,
        limit=limit,
        total=running,
        counted=tuple(counted),
    )


def double_funding(plan: Plan) -> list[Verdict]:
    """Two funders or more covering one budget line beyond its amount (eligible line in force, else the
    submitted line). The act named is the first, by decision or declaration date, that goes beyond."""
    amounts = plan.lines
    covers: dict[str, list[Contribution]] = defaultdict(list)
    for d in plan.decisions:
        if d.grants and d.instrument not in NOT_FUNDING:
            for code, cents in d.lines:
                covers[code].append(Contribution(d.key, d.event_id, d.decided_on, cents, f"pilot {d.pilot}"))
    for f in plan.cofunders:
        if f.status == "granted" and f.instrument not in NOT_FUNDING:
            for code, cents in f.lines:
                covers[code].append(Contribution(f.key, f.event_id, f.declared_on, cents, f.key))
    verdicts = []
    for code, entries in sorted(covers.items()):
        entries.sort(key=lambda c: c.order)
        limit = amounts.get(code, 0)
        if len({c.funder for c in entries}) < 2 or sum(c.amount for c in entries) <= limit:
            continue
        running, crossing = 0, entries[-1]
        for c in entries:
            running += c.amount
            if running > limit:
                crossing = c
                break
        verdicts.append(
            Verdict(
                rule="double_funding",
                subject=f"budget line {code}",
                act=crossing.key,
                act_event_id=crossing.event_id,
                act_on=crossing.on,
                window=f"funders covering line {code}, by decision or declaration date, then event id",
                window_from=None,
                window_to=None,
                regulation=None,
                limit=limit,
                total=sum(c.amount for c in entries),
                counted=tuple((c.key, c.amount) for c in entries),
            )
        )
    return verdicts


def summarize(plan: Plan, verdicts: tuple[Verdict, ...]) -> Summary:
    opinion = plan.opinion
    rules = {v.rule for v in verdicts}
    summary = Summary(
        status="open",
        eligible_total=opinion.eligible_total if opinion else None,
        self_financing=opinion.self_financing if opinion else 0,
        in_kind=opinion.in_kind if opinion else 0,
        committed=sum(c.amount for c in commitments(plan)),
        cofunded=sum(c.amount for c in cofunding(plan)),
        opinion=opinion.key if opinion else None,
    )
    status: PlanStatus = "open"
    if rules & {"double_funding", "de_minimis"}:
        status = "in_conflict"
    elif "over_funding" in rules:
        status = "over_funded"
    elif summary.eligible_total is not None:
        covered = funding_state(summary.funded, summary.eligible_total)
        status = covered if covered in ("fully_funded", "over_funded") else "open"
    return replace(summary, status=status)


def judge(plan: Plan) -> Judgement:
    """Every rule over the plan, verdicts in a stable order; the same facts give the same judgement."""
    found = [*([v] if (v := over_funding(plan)) else []), *double_funding(plan), *de_minimis(plan)]
    verdicts = tuple(sorted(found, key=lambda v: (v.rule, v.subject, v.act)))
    return Judgement(summarize(plan, verdicts), verdicts)
