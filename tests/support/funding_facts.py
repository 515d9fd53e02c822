"""Plan facts for the funding rules' unit tests: short builders with the defaults a plan usually has."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import count
from typing import Any

from ess_views.funding_plan.facts import (
    BudgetLine,
    Cofunder,
    Commitment,
    Decision,
    Declaration,
    Opinion,
    Plan,
    PriorAid,
    Request,
)

SIREN = "732829320"  # the beneficiary (Luhn-valid)
LINKED = "732829304"  # a linked undertaking
OTHER = "200000008"  # an undertaking outside the beneficiary's

_ids = count(1)


def eid(n: int | None = None) -> str:
    """An event id; ids compare like UUIDv7s: a larger number is a later id."""
    return f"00000000-0000-7000-8000-{next(_ids) if n is None else n:012d}"


def opinion(
    eligible: int,
    self_financing: int = 0,
    in_kind: int = 0,
    *,
    lines: dict[str, int] | None = None,
    **kw: Any,
) -> Opinion:
    lines = lines or {"staff": eligible}
    base = Opinion(
        pilot="region",
        opinion_id="op1",
        event_id=eid(),
        given_on=date(2026, 3, 15),
        outcome="favourable",
        eligible_total=eligible,
        self_financing=self_financing,
        in_kind=in_kind,
        lines=tuple(BudgetLine(code, "staff", cents) for code, cents in lines.items()),
    )
    return replace(base, **kw)


def decision(pilot: str, decision_id: str, cents: int, on: date = date(2026, 4, 1), **kw: Any) -> Decision:
    base = Decision(
        pilot=pilot,
        decision_id=decision_id,
        event_id=eid(),
        request_id=f"r-{decision_id}",
        decided_on=on,
        outcome="granted",
        instrument="grant",
        nominal_amount=cents,
        gross_grant_equivalent=cents,
        state_aid_basis="de_minimis_general",
        scheme_reference=None,
        legal_right_on=on,
        beneficiary_siren=SIREN,
    )
    return replace(base, **kw)


def commitment(
    pilot: str, commitment_id: str, decision_id: str, cents: int, on: date, **kw: Any
) -> Commitment:
    base = Commitment(pilot, commitment_id, eid(), decision_id, on, f"EJ-{commitment_id}", cents)
    return replace(base, **kw)


def cofunder(line_id: str, cents: int, on: date = date(2026, 4, 1), **kw: Any) -> Cofunder:
    base = Cofunder(
        pilot="region",
        cofunder_line_id=line_id,
        event_id=eid(),
        declared_on=on,
        kind="departement",
        cofunder_siren=OTHER,
        programme=None,
        instrument="grant",
        amount=cents,
        status="granted",
        state_aid_basis=None,
        scheme_reference=None,
        gross_grant_equivalent=None,
        legal_right_on=None,
        beneficiary_siren=None,
    )
    return replace(base, **kw)


def request(pilot: str, request_id: str, cents: int, on: date = date(2026, 3, 20)) -> Request:
    return Request(pilot, request_id, eid(), on, "grant", cents)


def prior(ref: str, cents: int, on: date, basis: str = "de_minimis_general", siren: str = SIREN) -> PriorAid:
    return PriorAid(ref, siren, "departement", basis, cents, on)


def declaration(*aids: PriorAid, linked: tuple[str, ...] = (), fy_end: int = 12, **kw: Any) -> Declaration:
    base = Declaration("region", eid(), date(2026, 3, 1), SIREN, linked, fy_end, aids)
    return replace(base, **kw)


def plan(**facts: Any) -> Plan:
    return Plan(project_id="p1", **{k: tuple(v) for k, v in facts.items()})
