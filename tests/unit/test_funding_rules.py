"""Over-funding, double funding and the plan status, with figures computed by hand (integer cents)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ess_views.funding_plan.rules import double_funding, judge, over_funding
from ess_views.funding_plan.verdict import euros
from tests.support.funding_facts import cofunder, commitment, decision, eid, opinion, plan

E = 100_000_00  # eligible budget: EUR 100,000.00
D = date(2026, 5, 1)


def _funded(bdt_cents: int) -> object:
    """Self-financing 10,000 + in-kind 5,000 + state 50,000 + bdt `bdt_cents`, eligible 100,000."""
    return plan(
        opinions=[opinion(E, 10_000_00, 5_000_00)],
        decisions=[decision("state", "d1", 50_000_00), decision("bdt", "d1", 40_000_00)],
        commitments=[
            commitment("state", "c1", "d1", 50_000_00, date(2026, 5, 1)),
            commitment("bdt", "c1", "d1", bdt_cents, date(2026, 5, 2)),
        ],
    )


def test_commitments_exactly_reaching_the_eligible_budget_make_the_plan_fully_funded() -> None:
    judgement = judge(_funded(35_000_00))  # 10,000 + 5,000 + 50,000 + 35,000 = 100,000.00
    assert judgement.verdicts == ()
    assert judgement.summary.status == "fully_funded"
    assert judgement.summary.funded == E


def test_one_cent_beyond_names_the_commitment_that_crossed_the_line() -> None:
    verdict = over_funding(_funded(35_000_01))
    assert verdict is not None
    assert (verdict.act, verdict.limit, verdict.total, verdict.excess) == ("bdt/commitment/c1", E, E + 1, 1)
    assert verdict.counted == (
        ("self-financing", 10_000_00),
        ("in-kind", 5_000_00),
        ("state/commitment/c1", 50_000_00),
        ("bdt/commitment/c1", 35_000_01),
    )
    assert "EUR 0.01 beyond" in verdict.message and "region/opinion/op1" in verdict.window
    assert judge(_funded(35_000_01)).summary.status == "over_funded"


def test_commitments_are_ordered_by_their_date_not_by_event_id() -> None:
    early_id, late_id = eid(1), eid(2)
    facts = plan(
        opinions=[opinion(E, 10_000_00, 5_000_00)],
        decisions=[decision("region", "d1", 60_000_00), decision("state", "d1", 30_000_00)],
        commitments=[
            commitment("region", "c1", "d1", 60_000_00, date(2026, 5, 10), event_id=early_id),
            commitment("state", "c1", "d1", 30_000_00, date(2026, 5, 1), event_id=late_id),
        ],
    )
    verdict = over_funding(facts)  # 15,000 + 30,000 (05-01) = 45,000; + 60,000 (05-10) = 105,000
    assert verdict is not None and verdict.act == "region/commitment/c1" and verdict.total == 105_000_00


def test_on_the_same_date_the_smaller_event_id_comes_first() -> None:
    facts = plan(
        opinions=[opinion(E)],
        decisions=[decision("region", "d1", 60_000_00), decision("state", "d1", 60_000_00)],
        commitments=[
            commitment("region", "c1", "d1", 60_000_00, D, event_id=eid(20)),
            commitment("state", "c1", "d1", 60_000_00, D, event_id=eid(10)),
        ],
    )
    verdict = over_funding(facts)
    assert verdict is not None and verdict.act == "region/commitment/c1"


def test_cancelled_decisions_and_guarantees_do_not_fund_and_granted_cofunding_does() -> None:
    facts = plan(
        opinions=[opinion(E)],
        decisions=[
            decision("state", "d1", 80_000_00, cancelled_on=date(2026, 6, 1)),
            decision("bdt", "d1", 90_000_00, instrument="guarantee", gross_grant_equivalent=9_000_00),
            decision("region", "d1", 70_000_00),
        ],
        commitments=[
            commitment("state", "c1", "d1", 80_000_00, D),
            commitment("bdt", "c1", "d1", 90_000_00, D),
            commitment("region", "c1", "d1", 70_000_00, D),
        ],
        cofunders=[
            cofunder("cf1", 30_000_00, date(2026, 5, 3)),
            cofunder("cf2", 99_000_00, date(2026, 5, 2), status="requested"),
        ],
    )
    verdict = over_funding(facts)  # 70,000 (05-01) + 30,000 (05-03) = 100,000: reached, not beyond
    assert verdict is None
    assert judge(facts).summary.status == "fully_funded"
    more = plan(**{**_as_kwargs(facts), "cofunders": [cofunder("cf1", 30_000_01, date(2026, 5, 3))]})
    crossed = over_funding(more)
    assert crossed is not None and crossed.act == "region/cofunder/cf1" and crossed.excess == 1


def _as_kwargs(facts: object) -> dict[str, object]:
    return {
        name: getattr(facts, name)
        for name in ("opinions", "decisions", "commitments", "cofunders", "declarations", "requests")
    }


def test_without_an_opinion_there_is_no_eligible_budget_to_judge_against() -> None:
    facts = plan(
        decisions=[decision("state", "d1", E * 3)], commitments=[commitment("state", "c1", "d1", E * 3, D)]
    )
    assert over_funding(facts) is None
    assert judge(facts).summary.status == "open"
    assert judge(facts).summary.eligible_total is None


def test_the_latest_opinion_is_in_force_and_self_financing_alone_can_overflow() -> None:
    facts = plan(
        opinions=[
            opinion(E, opinion_id="op1", given_on=date(2026, 3, 1)),
            opinion(5_000_00, 6_000_00, opinion_id="op2", given_on=date(2026, 3, 2), pilot="state"),
        ]
    )
    verdict = over_funding(facts)
    assert verdict is not None and verdict.act == "state/opinion/op2" and verdict.excess == 1_000_00


def test_two_funders_covering_a_line_exactly_is_allowed_one_cent_more_is_double_funding() -> None:
    lines = {"staff": 50_000_00, "equipment": 50_000_00}

    def covering(bdt_cents: int) -> object:
        return plan(
            opinions=[opinion(E, lines=lines)],
            decisions=[
                decision("state", "d1", 30_000_00, date(2026, 4, 1), lines=(("staff", 30_000_00),)),
                decision("bdt", "d1", bdt_cents, date(2026, 4, 2), lines=(("staff", bdt_cents),)),
            ],
        )

    assert double_funding(covering(20_000_00)) == []
    [verdict] = double_funding(covering(20_000_01))
    assert verdict.subject == "budget line staff" and verdict.act == "bdt/decision/d1"
    assert (verdict.limit, verdict.total) == (50_000_00, 50_000_01)
    assert judge(covering(20_000_01)).summary.status == "in_conflict"


def test_one_funder_alone_over_a_line_is_not_double_funding_and_cofunders_count_as_funders() -> None:
    one = plan(
        opinions=[opinion(E, lines={"staff": E})],
        decisions=[
            decision("state", "d1", 60_000_00, lines=(("staff", 60_000_00),)),
            decision("state", "d2", 60_000_00, lines=(("staff", 60_000_00),)),
        ],
    )
    assert double_funding(one) == []
    two = plan(
        opinions=[opinion(E, lines={"staff": E})],
        decisions=[decision("state", "d1", 60_000_00, date(2026, 4, 10), lines=(("staff", 60_000_00),))],
        cofunders=[cofunder("cf1", 50_000_00, date(2026, 4, 1), lines=(("staff", 50_000_00),))],
    )
    [verdict] = double_funding(two)
    assert verdict.act == "state/decision/d1" and verdict.total == 110_000_00


def test_without_an_opinion_lines_are_judged_against_the_submitted_budget() -> None:
    from ess_views.funding_plan.facts import BudgetLine

    facts = plan(
        budget=[BudgetLine("staff", "staff", 10_000_00)],
        decisions=[
            decision("state", "d1", 6_000_00, lines=(("staff", 6_000_00),)),
            decision("bdt", "d1", 4_000_00, lines=(("staff", 4_000_00),)),
            decision("region", "d1", 1, lines=(("staff", 1),), outcome="refused"),
        ],
    )
    assert double_funding(facts) == []


def test_euros_are_exact_from_cents() -> None:
    assert euros(30_000_000) == "EUR 300,000.00"
    assert euros(1) == "EUR 0.01"
    assert euros(-150) == "-EUR 1.50"


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_judgement_does_not_depend_on_the_order_of_the_facts(rnd: object) -> None:
    facts = _funded(35_000_01)
    shuffled = {name: list(getattr(facts, name)) for name in ("opinions", "decisions", "commitments")}
    for items in shuffled.values():
        rnd.shuffle(items)  # type: ignore[attr-defined]
    assert judge(plan(**shuffled)) == judge(facts)
