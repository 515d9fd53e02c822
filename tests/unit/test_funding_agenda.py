"""The funders' committee agenda: projects waiting for decisions from two funders or more."""

from __future__ import annotations

from datetime import date

from ess_views.funding_plan.agenda import awaited, on_agenda
from tests.support.funding_facts import OTHER, cofunder, decision, plan, request


def test_a_project_waiting_for_two_funders_is_on_the_agenda_with_what_each_waits_for() -> None:
    facts = plan(
        requests=[
            request("state", "r1", 40_000_00),
            request("bdt", "r1", 20_000_00, date(2026, 3, 21)),
            request("region", "r1", 10_000_00),
        ],
        decisions=[decision("region", "d1", 10_000_00, request_id="r1")],
        cofunders=[cofunder("cf1", 5_000_00, status="requested"), cofunder("cf2", 5_000_00)],
    )
    waiting = on_agenda(facts)
    assert waiting is not None
    assert [(w.funder, [p.act for p in w.pending]) for w in waiting] == [
        (f"departement {OTHER}", ["region/cofunder/cf1"]),
        ("pilot bdt", ["bdt/request/r1"]),
        ("pilot state", ["state/request/r1"]),
    ]
    assert waiting[1].pending[0].amount == 20_000_00 and waiting[1].pending[0].since == "2026-03-21"


def test_a_request_of_one_pilot_answered_by_another_pilots_decision_still_waits() -> None:
    facts = plan(
        requests=[request("state", "r1", 1), request("bdt", "r1", 1)],
        decisions=[decision("bdt", "d1", 1, request_id="r1")],
    )
    assert [w.funder for w in awaited(facts)] == ["pilot state"]
    assert on_agenda(facts) is None
