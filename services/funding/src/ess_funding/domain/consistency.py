"""An act against the pilot's own earlier acts in the local plan: it answers a request of this pilot,
commits a decision of this pilot that still grants, stays within what was decided, committed or paid.
Pure functions of the plan's facts; rules across funders are the fold's (`ess_views.funding_plan.rules`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ess_contracts import funding as f
from ess_contracts.base import Payload
from ess_core.refusals import NotFound
from ess_funding.domain.refusals import Inconsistent
from ess_views.funding_plan.facts import Commitment, Decision, Plan
from ess_views.funding_plan.verdict import euros


def check(plan: Plan, pilot: str, payload: Payload) -> None:
    if not plan.budget and not plan.opinions:
        raise NotFound(
            f"project {plan.project_id} is not known to this service: no submission from intake has been "
            "applied to its plan yet"
        )
    rule = CHECKS.get(type(payload))
    if rule is not None:
        rule(plan, pilot, payload)


def _owner(kind: str, act_id: str, pilot: str, owners: Iterable[str], project_id: str) -> Inconsistent:
    others = sorted(set(owners) - {pilot})
    if others:
        return Inconsistent(
            f"{kind} {act_id} on project {project_id} is {others[0]}'s, not {pilot}'s: "
            f"{pilot} acts only on its own {kind}s"
        )
    return Inconsistent(f"{pilot} has no {kind} {act_id} on project {project_id}")


def _decision(plan: Plan, pilot: str, decision_id: str) -> Decision:
    found = plan.decision(pilot, decision_id)
    if found is None:
        owners = (d.pilot for d in plan.decisions if d.decision_id == decision_id)
        raise _owner("decision", decision_id, pilot, owners, plan.project_id)
    return found


def _granting(plan: Plan, pilot: str, decision_id: str) -> Decision:
    found = _decision(plan, pilot, decision_id)
    if found.outcome == "refused":
        raise Inconsistent(f"decision {decision_id} of {pilot} refused the aid: nothing to commit or pay")
    if found.cancelled_on is not None:
        raise Inconsistent(f"decision {decision_id} of {pilot} was cancelled on {found.cancelled_on}")
    return found


def _commitment(plan: Plan, pilot: str, commitment_id: str) -> Commitment:
    found = plan.commitment(pilot, commitment_id)
    if found is None:
        owners = (c.pilot for c in plan.commitments if c.commitment_id == commitment_id)
        raise _owner("commitment", commitment_id, pilot, owners, plan.project_id)
    return found


def _within(what: str, already: int, adding: int, limit: int, of: str) -> None:
    if already + adding > limit:
        raise Inconsistent(
            f"{what} would reach {euros(already + adding)} ({euros(already)} already, {euros(adding)} now), "
            f"beyond {of} of {euros(limit)}"
        )


def _lines(plan: Plan, covered: Iterable[tuple[str, int]]) -> None:
    amounts = plan.lines
    for code, cents in covered:
        if code not in amounts:
            known = ", ".join(sorted(amounts)) or "none"
            raise Inconsistent(f"budget line {code} is not in the plan's budget (lines: {known})")
        _within(f"coverage of line {code} by this act", 0, cents, amounts[code], "the line's amount")


def _request(plan: Plan, pilot: str, p: f.ProjectFundingRequested) -> None:
    decided = [d for d in plan.decisions if (d.pilot, d.request_id) == (pilot, p.request_id)]
    if decided:
        raise Inconsistent(f"request {p.request_id} is already answered by {decided[0].key}")
    _lines(plan, ((code, 0) for code in p.budget_lines))


def _cofunder(plan: Plan, pilot: str, p: f.ProjectCofunderDeclared) -> None:
    _lines(plan, ((x.code, x.amount) for x in p.budget_lines))


def _decide(plan: Plan, pilot: str, p: f.ProjectDecisionRecorded) -> None:
    if not any((r.pilot, r.request_id) == (pilot, p.request_id) for r in plan.requests):
        owners = (r.pilot for r in plan.requests if r.request_id == p.request_id)
        raise _owner("request", p.request_id, pilot, owners, plan.project_id)
    earlier = plan.decision(pilot, p.decision_id)
    if earlier is not None and earlier.cancelled_on is not None:
        raise Inconsistent(
            f"decision {p.decision_id} was cancelled on {earlier.cancelled_on}: record a new one"
        )
    if earlier is not None and earlier.request_id != p.request_id:
        raise Inconsistent(
            f"decision {p.decision_id} answers request {earlier.request_id}, not {p.request_id}"
        )
    committed = sum(c.amount for c in plan.commitments if (c.pilot, c.decision_id) == (pilot, p.decision_id))
    if committed > p.nominal_amount:
        raise Inconsistent(
            f"decision {p.decision_id} already has {euros(committed)} committed, more than the nominal "
            f"amount of {euros(p.nominal_amount)} it would now grant"
        )
    _lines(plan, ((x.code, x.amount) for x in p.budget_lines))


def _commit(plan: Plan, pilot: str, p: f.ProjectCommitmentRecorded) -> None:
    decision = _granting(plan, pilot, p.decision_id)
    earlier = plan.commitment(pilot, p.commitment_id)
    if earlier is not None and earlier.decision_id != p.decision_id:
        raise Inconsistent(f"commitment {p.commitment_id} commits decision {earlier.decision_id}")
    already = sum(
        c.amount
        for c in plan.commitments
        if (c.pilot, c.decision_id) == (pilot, p.decision_id) and c.commitment_id != p.commitment_id
    )
    _within(
        f"commitments on {decision.key}", already, p.amount, decision.nominal_amount, "its nominal amount"
    )


def _schedule(plan: Plan, pilot: str, p: f.ProjectTrancheScheduled) -> None:
    commitment = _commitment(plan, pilot, p.commitment_id)
    _granting(plan, pilot, commitment.decision_id)
    already = sum(
        t.amount
        for t in plan.tranches
        if (t.pilot, t.commitment_id) == (pilot, p.commitment_id) and t.tranche_id != p.tranche_id
    )
    _within(f"tranches of {commitment.key}", already, p.amount, commitment.amount, "the commitment")


def _pay(plan: Plan, pilot: str, p: f.ProjectDisbursementRecorded) -> None:
    commitment = _commitment(plan, pilot, p.commitment_id)
    _granting(plan, pilot, commitment.decision_id)
    paid = [
        d
        for d in plan.disbursements
        if (d.pilot, d.commitment_id) == (pilot, p.commitment_id) and d.disbursement_id != p.disbursement_id
    ]
    _within(f"payments on {commitment.key}", sum(d.amount for d in paid), p.amount, commitment.amount, "it")
    if p.tranche_id is not None:
        tranche = next((t for t in plan.tranches if (t.pilot, t.tranche_id) == (pilot, p.tranche_id)), None)
        if tranche is None or tranche.commitment_id != p.commitment_id:
            raise Inconsistent(f"{pilot} has no tranche {p.tranche_id} of commitment {p.commitment_id}")
        on_tranche = sum(d.amount for d in paid if d.tranche_id == p.tranche_id)
        _within(f"payments on tranche {p.tranche_id}", on_tranche, p.amount, tranche.amount, "the tranche")


def _cancel(plan: Plan, pilot: str, p: f.ProjectDecisionCancelled) -> None:
    decision = _decision(plan, pilot, p.decision_id)
    if decision.cancelled_on is not None:
        raise Inconsistent(f"decision {p.decision_id} was already cancelled on {decision.cancelled_on}")


def _recover(plan: Plan, pilot: str, p: f.ProjectRecoveryRecorded) -> None:
    decision = _decision(plan, pilot, p.decision_id)
    commitments = {
        c.commitment_id for c in plan.commitments if (c.pilot, c.decision_id) == (pilot, p.decision_id)
    }
    paid = sum(d.amount for d in plan.disbursements if d.pilot == pilot and d.commitment_id in commitments)
    already = sum(
        r.amount
        for r in plan.recoveries
        if (r.pilot, r.decision_id) == (pilot, p.decision_id) and r.recovery_id != p.recovery_id
    )
    _within(f"recoveries on {decision.key}", already, p.amount, paid, "what was paid on it")


CHECKS: dict[type[Payload], Callable[[Plan, str, Any], None]] = {
    f.ProjectFundingRequested: _request,
    f.ProjectCofunderDeclared: _cofunder,
    f.ProjectDecisionRecorded: _decide,
    f.ProjectCommitmentRecorded: _commit,
    f.ProjectTrancheScheduled: _schedule,
    f.ProjectDisbursementRecorded: _pay,
    f.ProjectDecisionCancelled: _cancel,
    f.ProjectRecoveryRecorded: _recover,
}
