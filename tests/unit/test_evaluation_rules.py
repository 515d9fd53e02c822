"""Evaluation's pure rules: review schedule and overdue query, lead pilots, definitions in force, figures,
medians and rounding, targets against actuals. Every expected figure here is worked out by hand."""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pytest

from ess_evaluation.domain.calendar import add_months
from ess_evaluation.domain.derivations import DERIVATIONS, UnknownDerivation, check_derivation
from ess_evaluation.domain.figures import compute, median
from ess_evaluation.domain.indicators import Evaluator, project_scope
from ess_evaluation.domain.numbers import decimal_text, to_scale
from ess_evaluation.domain.portfolio import (
    CofunderLine,
    Commitment,
    Decision,
    Disbursement,
    Opinion,
    Portfolio,
    Project,
    Request,
    project_objectives,
)
from ess_evaluation.domain.reviews import Review, overdue_as_of, schedule, status_as_of
from ess_evaluation.domain.sessions import Session, SessionItem, SessionRefused, check_session
from ess_evaluation.domain.strategy import (
    ActionDef,
    IndicatorDef,
    Measure,
    NotLeadPilot,
    check_lead,
    in_force,
    measure_counts,
)
from ess_views.funding_plan.verdict import funding_state

D = date


def action(
    code: str = "A1",
    leads: tuple[str, ...] = ("region",),
    objectives: tuple[str, ...] = ("O1",),
    **kw: object,
) -> ActionDef:
    fields: dict[str, object] = {
        "pilot": "region",
        "event_id": "e1",
        "defined_on": D(2022, 1, 1),
        "title": f"Action {code}",
    }
    return ActionDef(code=code, lead_pilots=leads, objectives=objectives, **(fields | kw))  # type: ignore[arg-type]


def indicator(code: str, **kw: object) -> IndicatorDef:
    fields: dict[str, object] = {
        "pilot": "region",
        "event_id": "e1",
        "defined_on": D(2022, 1, 1),
        "title": code,
        "action_code": "A1",
        "kind": "output",
        "direction": "increase",
        "unit": "count",
        "scale": 0,
        "source": "measured",
        "derivation": None,
    }
    return IndicatorDef(code=code, **(fields | kw))  # type: ignore[arg-type]


YEAR_END_2025 = D(2025, 12, 31)


def measure(value: int, pilot: str = "region", end: date = YEAR_END_2025, **kw: object) -> Measure:
    fields: dict[str, object] = {
        "indicator_code": "I1",
        "action_code": "A1",
        "recorded_on": D(2026, 1, 10),
        "period_start": D(end.year, 1, 1),
        "scale": 0,
        "source": "survey",
        "measure_id": f"m-{pilot}-{value}",
    }
    return Measure(pilot=pilot, period_end=end, value=value, **(fields | kw))  # type: ignore[arg-type]


# --- calendar and reviews -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 3, 15), 12, D(2025, 3, 15)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2023, 11, 30), 36, D(2026, 11, 30)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_reviews_are_due_at_12_24_36_months_and_overdue_is_a_question_asked_as_of_a_day() -> None:
    dues = schedule("p1", D(2024, 3, 15))
    assert [(d.milestone_months, d.due_on) for d in dues] == [
        (12, D(2025, 3, 15)),
        (24, D(2026, 3, 15)),
        (36, D(2027, 3, 15)),
    ]
    review = Review("p1", 12, "state", D(2025, 4, 1), True, 2, 3)
    assert overdue_as_of(dues, [review], D(2025, 3, 15)) == []  # due that day: not late yet
    assert [d.milestone_months for d in overdue_as_of(dues, [review], D(2025, 3, 16))] == [12]
    assert overdue_as_of(dues, [review], D(2025, 4, 1)) == []  # the review was held that day
    late = overdue_as_of(dues, [review], D(2026, 6, 1))
    assert [d.milestone_months for d in late] == [24]
    states = {s.due.milestone_months: s.state for s in status_as_of(dues, [review], D(2026, 6, 1))}
    assert states == {12: "done", 24: "overdue", 36: "upcoming"}
    assert schedule("p2", None) == []


def test_first_commitment_ignores_refused_and_cancelled_decisions_as_of_the_day() -> None:
    portfolio = Portfolio(
        decisions=(
            Decision("p", "state", "d1", D(2024, 1, 10), "granted", "grant", 100, cancelled_on=D(2024, 6, 1)),
            Decision("p", "bdt", "d1", D(2024, 2, 1), "granted", "loan", 500),
            Decision("p", "region", "d9", D(2024, 1, 5), "refused", "grant", 0),
        ),
        commitments=(
            Commitment("p", "state", "c1", "d1", D(2024, 2, 1), 100),
            Commitment("p", "bdt", "c1", "d1", D(2024, 3, 1), 500),
            Commitment("p", "region", "c1", "d9", D(2024, 1, 6), 1),  # a refusal commits nothing
        ),
    )
    assert portfolio.first_commitment("p", D(2024, 5, 31)) == D(2024, 2, 1)  # state's, not yet cancelled
    assert portfolio.first_commitment("p", D(2024, 6, 1)) == D(2024, 3, 1)
    assert portfolio.first_commitment("p", None) == D(2024, 3, 1)
    assert portfolio.first_commitment("p", None, pilot="state") is None


# --- the strategy as data -----------------------------------------------------------------------------------


def test_the_definition_in_force_is_the_latest_by_date_then_event_id_whoever_issued_it() -> None:
    older = action(pilot="region", event_id="0001", defined_on=D(2023, 1, 1), leads=("region",))
    newer = action(pilot="state", event_id="0000", defined_on=D(2023, 6, 1), leads=("state",))
    tie = action(pilot="bdt", event_id="0002", defined_on=D(2023, 6, 1), leads=("bdt",))
    assert in_force([older, newer])["A1"].lead_pilots == ("state",)
    assert in_force([tie, newer, older])["A1"].lead_pilots == ("bdt",)
    assert in_force([older, tie, newer]) == in_force([newer, older, tie])


def test_a_pilot_not_leading_the_action_is_refused_with_the_action_and_its_lead_pilots() -> None:
    a = action("A7", leads=("region", "state"))
    check_lead(a, "state")
    with pytest.raises(NotLeadPilot) as refused:
        check_lead(a, "bdt")
    assert refused.value.action_code == "A7"
    assert refused.value.lead_pilots == ("region", "state")
    assert "'bdt' does not lead action A7" in str(refused.value)
    assert "region, state" in str(refused.value)


def test_a_measure_counts_only_from_a_lead_pilot_for_a_measured_indicator_of_its_action() -> None:
    actions = {"A1": action(leads=("region",))}
    indicators = {
        "I1": indicator("I1"),
        "I2": indicator("I2", source="derived", derivation="projects_funded"),
    }
    assert measure_counts(measure(5), actions, indicators)
    assert not measure_counts(measure(5, pilot="bdt"), actions, indicators)
    assert not measure_counts(measure(5, indicator_code="I2"), actions, indicators)
    assert not measure_counts(measure(5, action_code="A2"), actions, indicators)
    assert not measure_counts(measure(5, indicator_code="I9"), actions, indicators)


def test_derivations_are_named_with_their_unit() -> None:
    check_derivation("funds_committed", "cents")
    with pytest.raises(UnknownDerivation, match="is in cents"):
        check_derivation("funds_committed", "count")
    with pytest.raises(UnknownDerivation, match="unknown derivation"):
        check_derivation("projects_teleported", "count")
    assert {d.unit for d in DERIVATIONS.values()} == {"count", "jobs", "cents", "percent", "days"}


def test_a_session_is_recorded_by_a_pilot_present_about_defined_actions() -> None:
    actions = {"A1": action()}
    session = Session(
        "s1",
        "state",
        D(2025, 6, 1),
        "steering_committee",
        ("region", "state"),
        (SessionItem("A1", "decision", "go"),),
    )
    check_session("state", session, actions)
    with pytest.raises(SessionRefused, match="attended"):
        check_session("bdt", session, actions)
    with pytest.raises(SessionRefused, match="A9"):
        check_session(
            "state",
            Session(
                "s2",
                "state",
                D(2025, 6, 1),
                "steering_committee",
                ("state",),
                (SessionItem("A9", "decision", "x"),),
            ),
            actions,
        )


# --- numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Fraction(5, 2), 0, "3"),
        (Fraction(-5, 2), 0, "-3"),
        (Fraction(1, 20), 1, "0.1"),
        (Fraction(2, 3), 1, "0.7"),
        (Fraction(123456, 100), 2, "1234.56"),
        (Fraction(7), 2, "7.00"),
    ],
)
def test_decimal_text_rounds_half_away_from_zero(value: Fraction, places: int, text: str) -> None:
    assert decimal_text(value, places) == text


def test_median_is_exact() -> None:
    assert median([]) is None
    assert median([40, 10, 30]) == 30
    assert median([10, 43, 40, 100]) == Fraction(83, 2)
    assert to_scale(Fraction(83, 2), 1) == 415


# --- figures ------------------------------------------------------------------------------------------------


def _portfolio() -> Portfolio:
    projects = {
        "p1": Project("p1", "region", D(2025, 1, 10), "44", ("O1", "O14"), 3, D(2025, 1, 20), D(2025, 2, 1)),
        "p2": Project("p2", "region", D(2025, 3, 1), "49", ("O2",), 5, D(2025, 3, 15), None),
        "p3": Project("p3", "region", D(2024, 11, 2), "44", ("O1",), 2, None, D(2025, 1, 3)),
    }
    return Portfolio(
        projects=projects,
        requests=(
            Request("p1", "state", "r1", D(2025, 2, 1), "grant", 30_000_00),
            Request("p1", "bdt", "r1", D(2025, 2, 2), "loan", 50_000_00),
            Request("p2", "region", "r1", D(2024, 12, 30), "grant", 10_000_00),  # another year
        ),
        decisions=(
            Decision("p1", "state", "d1", D(2025, 3, 1), "granted", "grant", 30_000_00),
            Decision("p1", "bdt", "d1", D(2025, 4, 1), "granted", "loan", 40_000_00),
            Decision("p2", "region", "d1", D(2025, 4, 12), "refused", "grant", 0),
            Decision(
                "p3", "region", "d1", D(2025, 2, 11), "granted", "grant", 8_000_00, cancelled_on=D(2025, 9, 1)
            ),
        ),
        commitments=(
            Commitment("p1", "state", "c1", "d1", D(2025, 3, 10), 30_000_00),
            Commitment("p1", "bdt", "c1", "d1", D(2026, 1, 5), 40_000_00),
            Commitment("p3", "region", "c1", "d1", D(2025, 3, 1), 8_000_00),  # cancelled in 2025
        ),
        disbursements=(
            Disbursement("p1", "state", "t1", "c1", D(2025, 4, 1), 10_000_00),
            Disbursement("p3", "region", "t1", "c1", D(2025, 4, 1), 2_000_00),
        ),
        opinions=(
            Opinion(
                "p1", "state", "o1", "e1", D(2025, 2, 20), "favourable", 100_000_00, 20_000_00, 10_000_00
            ),
            Opinion("p2", "region", "o1", "e2", D(2025, 3, 20), "favourable", 50_000_00, 50_000_00, 0),
            Opinion("p3", "region", "o1", "e3", D(2025, 1, 20), "unfavourable", 9_000_00, 0, 0),
        ),
        cofunder_lines=(CofunderLine("p1", "state", "l1", D(2025, 3, 1), 40_000_00, "granted"),),
    )


def test_figures_of_a_year_by_hand() -> None:
    f = compute(_portfolio(), 2025)
    assert f.metrics["projects_submitted"]["total"] == {"all": 2}  # p1, p2 (p3 in 2024)
    assert f.metrics["projects_submitted"]["objective"] == {"O1": 1, "O14": 1, "O2": 1}
    assert f.metrics["projects_qualified"]["department"] == {"44": 1, "49": 1}
    assert f.metrics["projects_oriented"]["total"] == {"all": 2}  # p1, p3
    # p1 funded by state in 2025 (bdt's commitment is 2026); p3's decision was cancelled within 2025.
    assert f.metrics["projects_funded"]["total"] == {"all": 1}
    assert f.metrics["projects_funded"]["pilot"] == {"state": 1}
    assert f.metrics["jobs_planned"]["total"] == {"all": 3}
    assert f.metrics["funds_requested"]["pilot_instrument"] == {
        "bdt/loan": 50_000_00,
        "state/grant": 30_000_00,
    }
    assert f.metrics["funds_committed"]["total"] == {"all": 30_000_00}
    assert f.metrics["funds_disbursed"]["pilot"] == {"region": 2_000_00, "state": 10_000_00}
    # Plans: p1 30k committed + 40k co-funder + 20k + 10k = 100k of 100k: fully funded; p2 50k of 50k
    # from self-financing alone: fully funded; p3 unfavourable: not a plan.
    assert (f.plans, f.plans_fully_funded, f.fully_funded_share) == (2, 2, 100)
    # First decisions in 2025: p1 50 days (10 Jan -> 1 Mar), p2 42 days, p3 101 days: median 50.
    assert (f.decided_projects, f.median_days_to_first_decision) == (3, 50)


def test_figures_as_of_an_earlier_year_end_see_the_commitment_not_yet_cancelled() -> None:
    portfolio = _portfolio()
    f2026 = compute(portfolio, 2026)
    assert f2026.metrics["projects_funded"]["pilot"] == {"bdt": 1}
    assert f2026.metrics["projects_funded"]["total"] == {}  # p1 was first funded in 2025
    scoped = compute(portfolio, 2025, frozenset({"O2"}))
    assert scoped.total("projects_submitted") == 1
    assert scoped.metrics["funds_requested"]["total"] == {}


def test_targets_against_actuals_for_measured_and_derived_indicators() -> None:
    actions = {"A1": action(leads=("region", "state"), objectives=("O1",))}
    indicators = {
        "I1": indicator("I1", targets={2025: 10}),
        "I2": indicator("I2", unit="percent", scale=1, targets={2025: 755}),
        "I3": indicator("I3", source="derived", derivation="projects_submitted", targets={2025: 2}),
        "I4": indicator(
            "I4",
            source="derived",
            derivation="median_days_to_first_decision",
            unit="days",
            direction="decrease",
            action_code=None,
            targets={2025: 45},
        ),
    }
    measures = [
        measure(4, "region"),
        measure(7, "state"),
        measure(99, "bdt"),  # not a lead pilot: does not count
        measure(80, indicator_code="I2", end=D(2025, 6, 30)),
        measure(7505, indicator_code="I2", scale=2, end=D(2025, 12, 31)),  # the latest level: 75.05 %
    ]
    ev = Evaluator(_portfolio(), actions, indicators, measures)
    i1 = ev.actual(indicators["I1"], 2025)
    assert (i1.value, i1.measures, i1.status, i1.percent_of_target) == (11, 2, "reached", 110)
    i2 = ev.actual(indicators["I2"], 2025)
    assert (i2.value, i2.target, i2.status) == (Fraction(7505, 100), Fraction(755, 10), "not_reached")
    i3 = ev.actual(indicators["I3"], 2025)  # scoped to O1: p1 only
    assert (i3.value, i3.status) == (1, "not_reached")
    i4 = ev.actual(indicators["I4"], 2025)
    assert (i4.value, i4.status) == (50, "not_reached")
    assert ev.actual(indicators["I1"], 2024).status == "no_data"


def test_project_objectives_come_from_the_qualification_else_from_the_stage() -> None:
    assert project_objectives("consolidation", True, True, ()) == ("O3", "O13", "O14")
    assert project_objectives("consolidation", True, True, ("O4",)) == ("O4",)


def test_an_actions_derived_indicators_count_its_projects_or_all_when_it_serves_no_project_objective() -> (
    None
):
    assert project_scope(None) is None
    assert project_scope(action(objectives=("O1", "O6", "O14"))) == {"O1", "O14"}
    assert project_scope(action(objectives=("O6", "O7"))) is None  # orientation to networks: all projects
    assert project_scope(action(objectives=("O10",))) is None


def test_an_over_funded_plan_is_never_counted_fully_funded() -> None:
    """110,000 covered against a 100,000 eligible budget: funding says over_funded, and so do the figures."""
    portfolio = _portfolio()
    over = Opinion("p2", "region", "o1", "e2", D(2025, 3, 20), "favourable", 50_000_00, 55_000_00, 0)
    portfolio = dataclasses.replace(portfolio, opinions=(portfolio.opinions[0], over, portfolio.opinions[2]))
    f = compute(portfolio, 2025)
    assert (f.plans, f.plans_fully_funded, f.plans_over_funded, f.fully_funded_share) == (2, 1, 1, 50)
    assert [funding_state(n, 100) for n in (0, 40, 100, 110)] == [
        "unfunded",
        "partly_funded",
        "fully_funded",
        "over_funded",
    ]
