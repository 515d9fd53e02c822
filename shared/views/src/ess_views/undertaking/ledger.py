"""The beneficiary ledger: every de minimis aid a single undertaking received, on any project, from any
pilot, plus the aid recorded from outside the system, judged against the ceilings of the EU regulations.

A single undertaking on a date is the SIRENs joined by control links in force that day ((EU) 2023/2831
art. 2(2)); each aid is judged with the undertaking of its recipient on the day its legal right arose, in
the order of the aid itself (`legal_right_on`, then event id, then key), as the plan's rule does
(`ess_views.funding_plan.deminimis.judge_aid`), so every pilot's copy names the same crossing act.

Aid counted: pilots' decisions that still grant on a de minimis basis, co-funder lines declared granted on
one, outside aid recorded by a pilot and not withdrawn, and the prior aid of each project's declaration in
force. Aid declared by a beneficiary that matches aid the ledger already holds (same recipient, basis,
gross grant equivalent and date) is that aid, counted once: declaring by hand what a pilot recorded never
counts it twice. Verdicts are computed from rows when read, never stored: equal rows (equal digests) give
equal verdicts on every pilot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ess_contracts.reference.strategy import DeMinimisScope, de_minimis_ceiling
from ess_views.funding_plan.deminimis import SCOPES, Aid, judge_aid, window_start
from ess_views.funding_plan.verdict import Verdict


@dataclass(frozen=True, slots=True)
class Link:
    key: str  # pilot/control-link/id
    controlling: str
    controlled: str
    relation: str
    starts_on: date
    ends_on: date | None
    source: str

    def in_force(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


@dataclass(frozen=True, slots=True)
class Entry:
    """One aid in the ledger, with where it comes from (for people: the rules read `aid`)."""

    aid: Aid
    origin: str  # decision | cofunder | outside | declared
    granted_by: str  # a pilot, or the grantor kind of outside and declared aid
    project_id: str | None
    judged: bool = True  # checked under rules version 2 on: the ledger may name it as a crossing act


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the ledger holds about some SIRENs and every SIREN ever linked to them."""

    links: tuple[Link, ...] = ()
    entries: tuple[Entry, ...] = ()
    fiscal_year_end_month: int = 12
    declared: tuple[Entry, ...] = ()  # before matching against the rest

    @property
    def counted(self) -> tuple[Entry, ...]:
        """Recorded aid, and declared aid that matches none of it (nor an earlier declared one)."""
        seen = {_same_aid(e.aid) for e in self.entries}
        kept = list(self.entries)
        for entry in sorted(self.declared, key=lambda e: e.aid.order):
            if _same_aid(entry.aid) not in seen:
                seen.add(_same_aid(entry.aid))
                kept.append(entry)
        return tuple(sorted(kept, key=lambda e: e.aid.order))

    def undertaking(self, siren: str, day: date) -> frozenset[str]:
        """The SIRENs that are one single undertaking with `siren` on `day`."""
        return component({siren}, (link for link in self.links if link.in_force(day)))


def _same_aid(aid: Aid) -> tuple[str, str, int, date]:
    return (aid.recipient, aid.scope, aid.amount, aid.granted_on)


def component(start: Iterable[str], links: Iterable[Link]) -> frozenset[str]:
    """Every SIREN reached from `start` through `links`, in either direction."""
    neighbours: dict[str, set[str]] = {}
    for link in links:
        neighbours.setdefault(link.controlling, set()).add(link.controlled)
        neighbours.setdefault(link.controlled, set()).add(link.controlling)
    found, frontier = set(start), list(start)
    while frontier:
        for other in neighbours.get(frontier.pop(), ()):
            if other not in found:
                found.add(other)
                frontier.append(other)
    return frozenset(found)


def subject(members: frozenset[str]) -> str:
    return f"single undertaking {' + '.join(sorted(members))}"


def judge_ledger(ledger: Ledger) -> tuple[Verdict, ...]:
    """Each aid the ledger judges (`Entry.judged`) against the ceiling, with the aid before it (in the
    aid's order) of the undertaking its recipient belonged to that day. Aid checked under rules version 1
    (each plan alone) counts, but is never named: the verdicts given then stay as they were."""
    entries = ledger.counted
    ordered = [e.aid for e in entries]
    verdicts = []
    for index, aid in enumerate(ordered):
        if not entries[index].judged:
            continue
        members = ledger.undertaking(aid.recipient, aid.granted_on)
        so_far = [a for a in ordered[: index + 1] if a.recipient in members]
        verdict = judge_aid(subject(members), aid, so_far, ledger.fiscal_year_end_month)
        if verdict is not None:
            verdicts.append(verdict)
    return tuple(verdicts)


def aid_entry(
    key: str,
    event_id: str,
    granted_on: date,
    basis: str,
    cents: int,
    recipient: str,
    *,
    origin: str,
    granted_by: str,
    project_id: str | None,
    judged: bool = True,
) -> Entry:
    aid = Aid(key, event_id, granted_on, SCOPES[basis], cents, recipient)
    return Entry(aid, origin, granted_by, project_id, judged)


@dataclass(frozen=True, slots=True)
class Ceiling:
    """Where one ceiling stands on a date: the regulation, its window, the aid counted, what is left."""

    regulation: str
    scope: str
    limit: int
    window_from: date
    window_to: date
    counted: tuple[Entry, ...]

    @property
    def total(self) -> int:
        return sum(e.aid.amount for e in self.counted)

    @property
    def headroom(self) -> int:
        return max(0, self.limit - self.total)


@dataclass(frozen=True, slots=True)
class Standing:
    """A SIREN's single undertaking on `as_of`: its members, and each ceiling with its window."""

    siren: str
    as_of: date
    members: frozenset[str]
    general: Ceiling
    sgei: Ceiling

    @property
    def headroom(self) -> int:
        """What a new general de minimis aid granted on `as_of` may still be: within the general ceiling,
        and, when SGEI aid is in its window, within the SGEI ceiling for everything."""
        if any(e.aid.scope == "sgei" for e in self.sgei.counted):
            return min(self.general.headroom, self.sgei.headroom)
        return self.general.headroom


def standing(ledger: Ledger, siren: str, as_of: date) -> Standing:
    members = ledger.undertaking(siren, as_of)
    mine = [e for e in ledger.counted if e.aid.recipient in members and e.aid.granted_on <= as_of]

    def ceiling(scope: DeMinimisScope) -> Ceiling:
        regulation = de_minimis_ceiling(scope, as_of)
        start = window_start(regulation, as_of, ledger.fiscal_year_end_month)
        counted = tuple(
            e for e in mine if start <= e.aid.granted_on and (scope == "sgei" or e.aid.scope == "general")
        )
        return Ceiling(regulation.regulation, scope, regulation.ceiling_cents, start, as_of, counted)

    return Standing(siren, as_of, members, ceiling("general"), ceiling("sgei"))
