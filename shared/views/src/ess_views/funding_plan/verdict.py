"""What a rule says about a plan: which rule, which act crossed the line, over which window, with which
figures. The same value is stored by the fold, shown in the plan and returned with a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

RuleName = Literal["over_funding", "double_funding", "de_minimis"]
RULES: tuple[RuleName, ...] = ("over_funding", "double_funding", "de_minimis")

PlanStatus = Literal["open", "fully_funded", "over_funded", "in_conflict"]
"""`fully_funded` is the plan the funders call "bouclé"; `in_conflict` means double funding or de minimis."""

FundingState = Literal["unfunded", "partly_funded", "fully_funded", "over_funded"]
"""How much of the eligible budget is covered: one vocabulary for funding's plans and evaluation's figures,
so that no figure counts an over-funded plan as fully funded."""


def funding_state(funded: int, eligible_total: int) -> FundingState:
    """`funded`: self-financing, in-kind, live commitments and granted co-funding, in cents."""
    if funded > eligible_total:
        return "over_funded"
    if funded == eligible_total:
        return "fully_funded"
    return "partly_funded" if funded > 0 else "unfunded"


def euros(cents: int) -> str:
    """`EUR 300,000.00` from 30000000: exact, from integer cents, never through a float."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}EUR {whole:,}.{rest:02d}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A breach of a rule across funders. `act` names the act that crossed the line (`pilot/kind/id`,
    or `prior/<aid_ref>` for aid the beneficiary declared); `subject` tells verdicts of one rule apart."""

    rule: RuleName
    subject: str
    act: str
    act_event_id: str
    act_on: date
    window: str
    window_from: date | None
    window_to: date | None
    regulation: str | None
    limit: int
    total: int
    counted: tuple[tuple[str, int], ...] = field(default=())
    """The acts counted in the window, in the rule's order, with the cents each counted."""

    @property
    def excess(self) -> int:
        return self.total - self.limit

    @property
    def message(self) -> str:
        lead = f"{self.rule.replace('_', ' ')}"
        if self.regulation:
            lead += f" ({self.regulation})"
        text = (
            f"{lead}: {self.act} ({self.act_on.isoformat()}) brings {self.subject} to {euros(self.total)}"
            f" against {euros(self.limit)}, {euros(self.excess)} beyond; window: {self.window}"
        )
        if self.rule == "de_minimis":  # the beneficiary must see which aid makes up the total
            text += "; aid counted: " + ", ".join(f"{act} {euros(cents)}" for act, cents in self.counted)
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "subject": self.subject,
            "act": self.act,
            "act_event_id": self.act_event_id,
            "act_on": self.act_on.isoformat(),
            "regulation": self.regulation,
            "window": self.window,
            "window_from": _iso(self.window_from),
            "window_to": _iso(self.window_to),
            "limit_cents": self.limit,
            "total_cents": self.total,
            "excess_cents": self.excess,
            "counted": [{"act": act, "cents": cents} for act, cents in self.counted],
            "message": self.message,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True, slots=True)
class Summary:
    """The plan's totals and status, computed from its facts alone."""

    status: PlanStatus
    eligible_total: int | None
    self_financing: int
    in_kind: int
    committed: int
    cofunded: int
    opinion: str | None

    @property
    def funded(self) -> int:
        return self.self_financing + self.in_kind + self.committed + self.cofunded


@dataclass(frozen=True, slots=True)
class Judgement:
    summary: Summary
    verdicts: tuple[Verdict, ...]
