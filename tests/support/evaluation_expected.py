"""What the evaluation figures must be, worked out by the test itself from the raw events it reads back
from the stream. Written from the rules as documented (the service's `domain/figures.py` and
`domain/reviews.py` docstrings), in a different shape, and without importing the service's code.

The rules, restated: a project's objectives are its qualification's when it lists any, otherwise its
stage's (with O13 for an EPCI partner, O14 for a third place); its department is its qualification's,
otherwise its organisation's. A commitment is live on a day when its decision is not refused and not
cancelled on or before that day. Year figures are as of 31 December.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from nats.js import JetStreamContext

from ess_contracts.codec import decode
from ess_contracts.event import Event
from ess_contracts.reference.strategy import objectives_for
from ess_contracts.signing import TrustStore

DIMENSIONS = ("total", "objective", "department", "pilot", "instrument", "pilot_instrument")


async def read_stream(js: JetStreamContext, trust: TrustStore) -> list[Event]:
    """Every event on the ESS stream, each verified against the trust file, in stream order."""
    info = await js.stream_info("ESS")
    events = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg("ESS", seq)
        events.append(decode(msg.subject or "", msg.data or b"", dict(msg.headers or {}), trust))
    return events


def day(text: Any) -> date:
    return text if isinstance(text, date) else date.fromisoformat(text)


class Replay:
    """The facts of the stream, each record replaced by a later event of its issuer."""

    def __init__(self, events: list[Event]) -> None:
        self.projects: dict[str, dict[str, Any]] = {}
        self.records: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = defaultdict(dict)
        self.reviews: dict[tuple[str, int, str], date] = {}
        self.measures: dict[tuple[str, str, str], dict[str, Any]] = {}
        for e in sorted(events, key=lambda e: (e.issuer_key, e.sequence)):
            self.apply(e)

    def apply(self, e: Event) -> None:
        p: Any = e.payload
        pid, who = e.aggregate_id, e.pilot
        if e.type in ("project_submitted", "project_corrected"):
            row = self.projects.setdefault(
                pid, {"pilot": who, "submitted": p.model_dump().get("submitted_on")}
            )
            row |= {
                "org_department": p.organisation.department,
                "stage": p.project.stage,
                "third_place": p.project.third_place,
                "epci": p.organisation.epci_siren is not None,
                "jobs": p.project.planned_jobs,
            }
        elif e.type == "project_qualified":
            self.projects[pid]["qualification"] = p
        elif e.type == "project_oriented":
            before = self.projects[pid].get("oriented")
            self.projects[pid]["oriented"] = min(before or p.oriented_on, p.oriented_on)
        elif e.type == "project_decision_cancelled":
            self.records["decision"][(pid, who, p.decision_id)]["cancelled"] = p.cancelled_on
        elif e.type == "project_review_recorded":
            self.reviews[(pid, p.milestone_months, who)] = p.reviewed_on
        elif e.type == "indicator_measure_recorded":
            self.measures[(pid, who, p.measure_id)] = {"pilot": who, **p.model_dump()}
        else:
            kind, record_id = RECORDS.get(e.type, (None, ""))
            if kind is not None:
                key = (pid, who, getattr(p, record_id))
                kept = {"cancelled": self.records[kind].get(key, {}).get("cancelled")}  # a cancellation stays
                self.records[kind][key] = {**p.model_dump(), "event_id": e.id, **kept}

    # --- the rules --------------------------------------------------------------------------------------

    def objectives(self, pid: str) -> list[str]:
        row = self.projects[pid]
        q = row.get("qualification")
        if q is not None and q.objectives:
            return list(q.objectives)
        return list(objectives_for(row["stage"], row["third_place"], row["epci"]))

    def department(self, pid: str) -> str:
        q = self.projects[pid].get("qualification")
        return str(q.department) if q is not None else str(self.projects[pid]["org_department"])

    def live(self, key: tuple[str, str, str], on: date | None) -> bool:
        c = self.records["commitment"][key]
        d = self.records["decision"].get((key[0], key[1], c["decision_id"]))
        if d is None or d["outcome"] == "refused" or (on is not None and c["committed_on"] > on):
            return False
        cancelled = d.get("cancelled")
        return cancelled is None or (on is not None and cancelled > on)

    def instrument(self, pid: str, pilot: str, commitment_id: str) -> str:
        c = self.records["commitment"].get((pid, pilot, commitment_id))
        d = self.records["decision"].get((pid, pilot, c["decision_id"])) if c else None
        return str(d["instrument"]) if d else "unknown"

    def first_commitment(self, pid: str, on: date | None, pilot: str | None = None) -> date | None:
        dates = [
            c["committed_on"]
            for key, c in self.records["commitment"].items()
            if key[0] == pid and (pilot is None or key[1] == pilot) and self.live(key, on)
        ]
        return min(dates) if dates else None


RECORDS = {
    "project_funding_requested": ("request", "request_id"),
    "project_decision_recorded": ("decision", "decision_id"),
    "project_commitment_recorded": ("commitment", "commitment_id"),
    "project_disbursement_recorded": ("disbursement", "disbursement_id"),
    "project_opinion_given": ("opinion", "opinion_id"),
    "project_cofunder_declared": ("cofunder", "cofunder_line_id"),
}


class Tally:
    def __init__(self, replay: Replay, distinct: bool) -> None:
        self.replay = replay
        self.distinct = distinct
        self.values: dict[str, dict[str, Any]] = {d: {} for d in DIMENSIONS}

    def add(self, pid: str, pilot: str | None, instrument: str | None = None, amount: int = 1) -> None:
        keys = [("total", "all")]
        if pilot:
            keys.append(("pilot", pilot))
        if instrument:
            keys.append(("instrument", instrument))
            if pilot:
                keys.append(("pilot_instrument", f"{pilot}/{instrument}"))
        if pid in self.replay.projects:
            keys.append(("department", self.replay.department(pid)))
            keys += [("objective", o) for o in self.replay.objectives(pid)]
        for dimension, key in keys:
            if self.distinct:
                self.values[dimension].setdefault(key, set()).add(pid)
            else:
                self.values[dimension][key] = self.values[dimension].get(key, 0) + amount

    def result(self) -> dict[str, dict[str, int]]:
        return {
            d: {k: len(v) if self.distinct else v for k, v in sorted(keys.items())}
            for d, keys in self.values.items()
        }


def expected_figures(events: list[Event], year: int) -> dict[str, Any]:
    r = Replay(events)
    end = date(year, 12, 31)
    counts = {
        m: Tally(r, True)
        for m in ("projects_submitted", "projects_qualified", "projects_oriented", "projects_funded")
    }
    sums = {
        m: Tally(r, False) for m in ("jobs_planned", "funds_requested", "funds_committed", "funds_disbursed")
    }
    by_pilot_funded, by_pilot_jobs = Tally(r, True), Tally(r, False)
    for pid, row in r.projects.items():
        q = row.get("qualification")
        if row["submitted"].year == year:
            counts["projects_submitted"].add(pid, row["pilot"])
        if q is not None and q.eligible and q.qualified_on.year == year:
            counts["projects_qualified"].add(pid, row["pilot"])
        if row.get("oriented") and row["oriented"].year == year:
            counts["projects_oriented"].add(pid, row["pilot"])
    funded = {key[0] for key in r.records["commitment"]}
    for pid in sorted(funded):
        first = r.first_commitment(pid, end)
        jobs = r.projects[pid]["jobs"] if pid in r.projects else 0
        if first and first.year == year:
            counts["projects_funded"].add(pid, None)
            sums["jobs_planned"].add(pid, None, amount=jobs)
        for pilot in ("region", "state", "bdt"):
            mine = r.first_commitment(pid, end, pilot)
            if mine and mine.year == year:
                by_pilot_funded.add(pid, pilot)
                by_pilot_jobs.add(pid, pilot, amount=jobs)
    for (pid, pilot, _), q in r.records["request"].items():
        if q["requested_on"].year == year:
            sums["funds_requested"].add(pid, pilot, q["instrument"], q["amount"])
    for key, c in r.records["commitment"].items():
        if c["committed_on"].year == year and r.live(key, end):
            sums["funds_committed"].add(key[0], key[1], r.instrument(key[0], key[1], key[2]), c["amount"])
    for (pid, pilot, _), x in r.records["disbursement"].items():
        if x["paid_on"].year == year:
            sums["funds_disbursed"].add(pid, pilot, r.instrument(pid, pilot, x["commitment_id"]), x["amount"])
    metrics = {m: t.result() for m, t in {**counts, **sums}.items()}
    metrics["projects_funded"]["pilot"] = by_pilot_funded.result()["pilot"]
    metrics["jobs_planned"]["pilot"] = by_pilot_jobs.result()["pilot"]
    plans, fully, over = _plans(r, end)
    days = _days_to_first_decision(r, year)
    return {
        "year": year,
        "metrics": metrics,
        "plans": plans,
        "plans_fully_funded": fully,
        "plans_over_funded": over,
        "fully_funded_percent": _tenths(1000 * fully, plans) if plans else None,
        "decided_projects": len(days),
        "median_days_to_first_decision": _median_tenths(days),
    }


def _plans(r: Replay, end: date) -> tuple[int, int, int]:
    """Favourable plans, those covered exactly, those covered beyond the eligible total."""
    plans = fully = over = 0
    for pid in sorted({key[0] for key in r.records["opinion"]}):
        given = [o for key, o in r.records["opinion"].items() if key[0] == pid and o["given_on"] <= end]
        if not given:
            continue
        o = max(given, key=lambda o: (o["given_on"], o["event_id"]))
        if o["outcome"] not in ("favourable", "favourable_with_reservations"):
            continue
        plans += 1
        covered = o["self_financing"] + o["in_kind"]
        covered += sum(
            c["amount"] for key, c in r.records["commitment"].items() if key[0] == pid and r.live(key, end)
        )
        covered += sum(
            line["amount"]
            for key, line in r.records["cofunder"].items()
            if key[0] == pid and line["status"] == "granted" and line["declared_on"] <= end
        )
        fully += covered == o["eligible_total"]
        over += covered > o["eligible_total"]
    return plans, fully, over


def _days_to_first_decision(r: Replay, year: int) -> list[int]:
    first: dict[str, date] = {}
    for (pid, _, _), d in r.records["decision"].items():
        first[pid] = min(first.get(pid, d["decided_on"]), d["decided_on"])
    return sorted(
        (on - r.projects[pid]["submitted"]).days
        for pid, on in first.items()
        if pid in r.projects and on.year == year
    )


def _tenths(numerator: int, denominator: int) -> dict[str, int]:
    """numerator / denominator, in tenths, rounded half up (all values here are positive)."""
    return {"value": (2 * numerator + denominator) // (2 * denominator), "scale": 1}


def _median_tenths(days: list[int]) -> dict[str, int] | None:
    if not days:
        return None
    n = len(days)
    middle = days[n // 2] * 10 if n % 2 else (days[n // 2 - 1] + days[n // 2]) * 5
    return {"value": middle, "scale": 1}


def expected_overdue(events: list[Event], as_of: date) -> list[tuple[str, int, date]]:
    """(project, milestone, due on) overdue as of a day, by due date: due 12, 24, 36 months after the
    first live commitment (cancellations at any date count) and no review of it held by that day."""
    r = Replay(events)
    late = []
    for pid in sorted({key[0] for key in r.records["commitment"]}):
        first = r.first_commitment(pid, None)
        if first is None:
            continue
        for months in (12, 24, 36):
            due = _months_after(first, months)
            held = any(k[0] == pid and k[1] == months and on <= as_of for k, on in r.reviews.items())
            if due < as_of and not held:
                late.append((pid, months, due))
    return sorted(late, key=lambda x: (x[2], x[0], x[1]))


def _months_after(start: date, months: int) -> date:
    import calendar

    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
