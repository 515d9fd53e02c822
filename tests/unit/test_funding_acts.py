"""A pilot's acts: parsed from the request body, checked against its own earlier acts in the plan."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ess_contracts import funding as f
from ess_core import refusals
from ess_core.refusals import NotFound
from ess_funding.config import FundingConfig
from ess_funding.domain.acts import BY_PATH, parse_act
from ess_funding.domain.consistency import check
from ess_funding.domain.dates import check_dates
from ess_funding.domain.refusals import Inconsistent, Invalid, WrongPilot
from ess_funding.entrypoints.examples import EXAMPLES
from ess_views.funding_plan.facts import BudgetLine, Disbursement, Tranche
from tests.support.funding_facts import commitment, decision, eid, opinion, plan, request
from tests.support.funding_story import decision as decided

K = 1_000_00
ON = date(2026, 4, 1)


def test_an_act_in_another_pilots_name_is_refused_naming_both() -> None:
    with pytest.raises(WrongPilot) as refused:
        parse_act(BY_PATH["requests"], {"pilot": "bdt", "requested_on": "2026-03-01"}, "state")
    assert refused.value.reason == (
        "this funding service acts for 'state' and cannot record an act in 'bdt''s name: "
        "'bdt' records its own acts at its own funding service"
    )


def test_a_missing_id_is_minted_and_money_must_be_integer_cents() -> None:
    body = {"requested_on": "2026-03-01", "instrument": "grant", "amount": 10 * K}
    act = parse_act(BY_PATH["requests"], body, "state")
    assert act.act_id.startswith("r-") and len(act.act_id) == 34
    with pytest.raises(Invalid) as refused:
        parse_act(BY_PATH["requests"], body | {"amount": 1000.5}, "state")
    assert refused.value.reason.startswith("request: amount: ")


@pytest.mark.parametrize(
    ("acknowledge", "reason"),
    [
        (["de_minimis"], "de_minimis cannot be acknowledged"),
        (["speed"], "unknown rule 'speed'"),
        ("over_funding", "acknowledge must be a list of rule names"),
    ],
)
def test_only_over_and_double_funding_may_be_acknowledged(acknowledge: object, reason: str) -> None:
    body = {"decision_id": "c1", "committed_on": "2026-04-01", "reference": "EJ-1", "amount": 1}
    with pytest.raises(Invalid, match=reason):
        parse_act(BY_PATH["commitments"], body | {"acknowledge": acknowledge}, "state")
    act = parse_act(BY_PATH["commitments"], body | {"acknowledge": ["over_funding"]}, "state")
    assert act.acknowledge == {"over_funding"}


def _plan(**facts: object) -> object:
    return plan(budget=[BudgetLine("staff", "staff", 100 * K)], opinions=[opinion(100 * K)], **facts)


def test_a_project_never_submitted_is_refused() -> None:
    with pytest.raises(NotFound, match="not known to this service"):
        check(
            plan(),
            "state",
            f.ProjectFundingRequested(request_id="r1", requested_on=ON, instrument="grant", amount=1),
        )


def test_a_decision_answers_a_request_of_the_same_pilot() -> None:
    facts = _plan(requests=[request("bdt", "r1", 10 * K)])
    payload = f.ProjectDecisionRecorded(
        decision_id="d1",
        request_id="r1",
        decided_on=ON,
        outcome="refused",
        instrument="grant",
        nominal_amount=0,
        gross_grant_equivalent=0,
    )
    with pytest.raises(Inconsistent, match="request r1 on project p1 is bdt's, not state's"):
        check(facts, "state", payload)
    with pytest.raises(Inconsistent, match="region has no request r1 on project p1"):
        check(_plan(), "region", payload)


def test_commitments_stay_within_the_decision_and_on_a_decision_that_grants() -> None:
    facts = _plan(
        decisions=[decision("state", "d1", 50 * K), decision("state", "d2", 5 * K, cancelled_on=ON)],
        commitments=[commitment("state", "c1", "d1", 40 * K, ON)],
    )

    def commit(commitment_id: str, decision_id: str, cents: int) -> f.ProjectCommitmentRecorded:
        return f.ProjectCommitmentRecorded(
            commitment_id=commitment_id,
            decision_id=decision_id,
            committed_on=ON,
            reference="EJ",
            amount=cents,
        )

    check(facts, "state", commit("c2", "d1", 10 * K))  # 40,000 + 10,000: exactly the nominal amount
    with pytest.raises(Inconsistent) as refused:
        check(facts, "state", commit("c2", "d1", 10 * K + 1))
    assert refused.value.reason == (
        "commitments on state/decision/d1 would reach EUR 50,000.01 "
        "(EUR 40,000.00 already, EUR 10,000.01 now), beyond its nominal amount of EUR 50,000.00"
    )
    check(facts, "state", commit("c1", "d1", 50 * K))  # the same commitment again, restated
    with pytest.raises(Inconsistent, match="decision d2 of state was cancelled on 2026-04-01"):
        check(facts, "state", commit("c3", "d2", 1))


def test_payments_stay_within_commitment_and_tranche_and_recoveries_within_payments() -> None:
    facts = _plan(
        decisions=[decision("state", "d1", 50 * K)],
        commitments=[commitment("state", "c1", "d1", 40 * K, ON)],
        tranches=[Tranche("state", "t1", eid(), "c1", ON, 10 * K, "on_signature")],
        disbursements=[Disbursement("state", "p1", eid(), "c1", "t1", ON, 6 * K, None)],
    )

    def pay(cents: int, tranche: str | None = "t1") -> f.ProjectDisbursementRecorded:
        return f.ProjectDisbursementRecorded(
            disbursement_id="p2", commitment_id="c1", tranche_id=tranche, paid_on=ON, amount=cents
        )

    check(facts, "state", pay(4 * K))
    with pytest.raises(Inconsistent, match=re.escape("payments on tranche t1 would reach EUR 10,000.01")):
        check(facts, "state", pay(4 * K + 1))
    with pytest.raises(Inconsistent, match="state has no tranche t9 of commitment c1"):
        check(facts, "state", pay(1, "t9"))
    with pytest.raises(
        Inconsistent, match=re.escape("payments on state/commitment/c1 would reach EUR 40,000.01")
    ):
        check(facts, "state", pay(34 * K + 1, None))
    recover = f.ProjectRecoveryRecorded(
        recovery_id="rc1", decision_id="d1", ordered_on=ON, amount=6 * K + 1, reason="unspent_funds"
    )
    with pytest.raises(Inconsistent, match=re.escape("beyond what was paid on it of EUR 6,000.00")):
        check(facts, "state", recover)


def test_a_decision_is_cancelled_once() -> None:
    facts = _plan(decisions=[decision("state", "d1", K, cancelled_on=ON)])
    with pytest.raises(Inconsistent, match="already cancelled on 2026-04-01"):
        check(facts, "state", f.ProjectDecisionCancelled(decision_id="d1", cancelled_on=ON, reason="other"))


def test_lines_covered_must_exist_and_fit_the_line() -> None:
    facts = _plan(requests=[request("state", "r-d1", K)])
    payload = f.ProjectDecisionRecorded(
        decision_id="d1",
        request_id="r-d1",
        decided_on=ON,
        outcome="granted",
        instrument="grant",
        nominal_amount=200 * K,
        gross_grant_equivalent=200 * K,
        state_aid_basis="not_state_aid",
        legal_right_on=ON,
        budget_lines=(f.LineAmount(code="travel", amount=K),),
    )
    with pytest.raises(
        Inconsistent, match=r"budget line travel is not in the plan's budget \(lines: staff\)"
    ):
        check(facts, "state", payload)
    too_much = payload.model_copy(update={"budget_lines": (f.LineAmount(code="staff", amount=100 * K + 1),)})
    with pytest.raises(
        Inconsistent, match=re.escape("coverage of line staff by this act would reach EUR 100,000.01")
    ):
        check(facts, "state", too_much)


def test_the_ess_command_knows_every_act_route_of_the_funding_service() -> None:
    """`ess funding act KIND` checks KIND against its own list (ops imports no service): the same list,
    and it acts as a person holding a role the route lets in."""
    from ess_funding.domain.acts import BY_PATH
    from ess_ops.cli.funding import ACT_KINDS, ACT_ROLES

    assert list(ACT_KINDS) == list(BY_PATH)
    assert [kind for kind, role in ACT_ROLES.items() if role not in BY_PATH[kind].roles] == []


def test_the_legal_right_margin_is_a_setting() -> None:
    margin = FundingConfig.from_env({"ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS": "30"}).legal_right_margin
    assert margin.days == 30 and FundingConfig.from_env({}).legal_right_margin.days == 180
    today = date(2026, 6, 1)
    check_dates(decided("d1", 100, date(2026, 7, 1)), date(2026, 1, 1), today, margin)  # 30 days: in
    with pytest.raises(
        refusals.Invalid, match=r"legal_right_on: 2026-07-02 is more than 30 days after today"
    ):
        check_dates(decided("d1", 100, date(2026, 7, 2)), date(2026, 1, 1), today, margin)
    with pytest.raises(SystemExit, match="whole number of days"):
        FundingConfig.from_env({"ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS": "six months"})


@pytest.mark.parametrize("path", sorted(BY_PATH))
def test_the_documented_example_of_each_act_fits_its_contract(path: str) -> None:
    act = parse_act(BY_PATH[path], EXAMPLES[path], "state")
    assert act.payload.model_dump(mode="json", exclude={"type"}) | EXAMPLES[path] == act.payload.model_dump(
        mode="json", exclude={"type"}
    )


def test_a_json_number_without_fraction_is_an_integer_and_one_with_a_fraction_is_refused() -> None:
    body = {**EXAMPLES["requests"], "amount": 4_000_000.0}
    assert parse_act(BY_PATH["requests"], body, "state").payload.amount == 4_000_000  # type: ignore[attr-defined]
    with pytest.raises(Invalid, match="amount"):
        parse_act(BY_PATH["requests"], {**body, "amount": 4_000_000.5}, "state")
