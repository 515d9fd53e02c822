"""De minimis per single undertaking, with the regulation in force on the date the right to each aid arose.

Aid counted: pilots' decisions that grant on a de minimis basis, declared co-funder lines granted on one,
and the prior aid of the declaration in force. Each aid is judged when it is granted, in the order of the
aid itself (`legal_right_on`, then event id): the total of the aid counted in its window, itself included,
must not exceed the ceiling of the regulation in force that day. A general aid counts general aid against
the general ceiling, and, when SGEI aid is in its window, everything against the SGEI ceiling (cumulation
is allowed up to that ceiling); an SGEI aid counts all de minimis aid against its own ceiling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from ess_contracts.reference.strategy import DeMinimisCeiling, DeMinimisScope, de_minimis_ceiling
from ess_views.funding_plan.facts import Plan
from ess_views.funding_plan.verdict import Verdict

FISCAL_WINDOWS = frozenset({"current and two previous fiscal years", "three fiscal years"})
ROLLING_WINDOWS = frozenset({"any period of three years"})
SCOPES: dict[str, DeMinimisScope] = {"de_minimis_general": "general", "de_minimis_sgei": "sgei"}


@dataclass(frozen=True, slots=True)
class Aid:
    key: str
    event_id: str
    granted_on: date
    scope: DeMinimisScope
    amount: int  # gross grant equivalent, cents
    recipient: str

    @property
    def order(self) -> tuple[date, str, str]:
        return (self.granted_on, self.event_id, self.key)


def fiscal_year_start(day: date, year_end_month: int) -> date:
    """First day of the fiscal year holding `day`, for fiscal years ending with month `year_end_month`."""
    end_year = day.year if day.month <= year_end_month else day.year + 1
    return date(end_year, 1, 1) if year_end_month == 12 else date(end_year - 1, year_end_month + 1, 1)


def window_start(ceiling: DeMinimisCeiling, granted_on: date, year_end_month: int = 12) -> date:
    """The first day whose aid counts with an aid granted on `granted_on`.

    Fiscal windows: the start of the fiscal year two years before the current one. Rolling windows: the
    three years that end on the grant date, so the same day three years earlier is just outside.
    """
    if ceiling.window in FISCAL_WINDOWS:
        start = fiscal_year_start(granted_on, year_end_month)
        return start.replace(year=start.year - 2)
    if ceiling.window in ROLLING_WINDOWS:
        day = 28 if (granted_on.month, granted_on.day) == (2, 29) else granted_on.day
        return granted_on.replace(year=granted_on.year - 3, day=day) + timedelta(days=1)
    raise LookupError(f"no window rule for {ceiling.regulation}: {ceiling.window!r}")


def aids(plan: Plan) -> list[Aid]:
    found = [
        Aid(d.key, d.event_id, d.legal_right_on, SCOPES[d.state_aid_basis], d.gross_grant_equivalent, siren)
        for d in plan.decisions
        if d.grants and d.state_aid_basis in SCOPES and d.legal_right_on and (siren := d.beneficiary_siren)
    ]
    found += [
        Aid(f.key, f.event_id, f.legal_right_on, SCOPES[f.state_aid_basis], f.gross_grant_equivalent, siren)
        for f in plan.cofunders
        if f.status == "granted"
        and f.state_aid_basis in SCOPES
        and f.legal_right_on
        and f.gross_grant_equivalent is not None
        and (siren := f.beneficiary_siren)
    ]
    declaration = plan.declaration
    if declaration is not None:
        found += [
            Aid(
                f"prior/{a.aid_ref}",
                declaration.event_id,
                a.legal_right_on,
                SCOPES[a.basis],
                a.gross_grant_equivalent,
                a.recipient_siren,
            )
            for a in declaration.prior_aids
        ]
    return sorted(found, key=lambda a: a.order)


def de_minimis(plan: Plan) -> list[Verdict]:
    declaration = plan.declaration
    members = declaration.members if declaration else frozenset()
    year_end = declaration.fiscal_year_end_month if declaration else 12
    undertakings: dict[str, list[Aid]] = defaultdict(list)
    for aid in aids(plan):
        holder = declaration.beneficiary_siren if declaration and aid.recipient in members else aid.recipient
        undertakings[holder].append(aid)
    verdicts = []
    for siren, ordered in sorted(undertakings.items()):
        for index, aid in enumerate(ordered):
            verdict = judge_aid(f"single undertaking {siren}", aid, ordered[: index + 1], year_end)
            if verdict is not None:
                verdicts.append(verdict)
    return verdicts


def judge_aid(subject: str, aid: Aid, so_far: list[Aid], year_end_month: int = 12) -> Verdict | None:
    """Judge `aid` against the aid granted before it or with it (`so_far`, in order, ending with it)."""
    ceiling = de_minimis_ceiling(aid.scope, aid.granted_on)
    start = window_start(ceiling, aid.granted_on, year_end_month)
    in_window = [a for a in so_far if start <= a.granted_on <= aid.granted_on]
    counted = in_window if aid.scope == "sgei" else [a for a in in_window if a.scope == "general"]
    verdict = _over(subject, aid, ceiling, start, counted, year_end_month)
    if verdict is None and aid.scope == "general" and any(a.scope == "sgei" for a in in_window):
        sgei = de_minimis_ceiling("sgei", aid.granted_on)
        sgei_start = window_start(sgei, aid.granted_on, year_end_month)
        everything = [a for a in so_far if sgei_start <= a.granted_on <= aid.granted_on]
        verdict = _over(subject, aid, sgei, sgei_start, everything, year_end_month)
    return verdict


def _over(
    subject: str, aid: Aid, ceiling: DeMinimisCeiling, start: date, counted: list[Aid], year_end_month: int
) -> Verdict | None:
    total = sum(a.amount for a in counted)
    if total <= ceiling.ceiling_cents:
        return None
    fiscal = f", fiscal years ending in month {year_end_month}" if ceiling.window in FISCAL_WINDOWS else ""
    return Verdict(
        rule="de_minimis",
        subject=subject,
        act=aid.key,
        act_event_id=aid.event_id,
        act_on=aid.granted_on,
        window=f"{ceiling.window}{fiscal}: {start.isoformat()} to {aid.granted_on.isoformat()}",
        window_from=start,
        window_to=aid.granted_on,
        regulation=f"{ceiling.regulation}, {ceiling.scope}",
        limit=ceiling.ceiling_cents,
        total=total,
        counted=tuple((a.key, a.amount) for a in counted),
    )
