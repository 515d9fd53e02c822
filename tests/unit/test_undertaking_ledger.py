"""The beneficiary ledger's rules, figures by hand: one single undertaking on a date (control links in
force that day), every aid across projects and funders in the aid's own order, declared aid counted once,
and where each ceiling stands on a date."""

from __future__ import annotations

from datetime import date

from ess_views.undertaking.ledger import Entry, Ledger, Link, aid_entry, judge_ledger, standing

K = 1_000_00
A, B, C = "732829320", "552100554", "443061841"


def aid(
    key: str,
    cents: int,
    on: date,
    siren: str = A,
    origin: str = "decision",
    basis: str = "de_minimis_general",
) -> Entry:
    project = None if origin == "outside" else key.split(":")[0]
    return aid_entry(
        key, f"e-{key}", on, basis, cents, siren, origin=origin, granted_by="region", project_id=project
    )


def link(controlling: str, controlled: str, starts: date, ends: date | None = None) -> Link:
    return Link(
        f"region/control-link/{controlled}",
        controlling,
        controlled,
        "majority_voting_rights",
        starts,
        ends,
        "statuts",
    )


def ledger(*entries: Entry, links: tuple[Link, ...] = (), declared: tuple[Entry, ...] = ()) -> Ledger:
    return Ledger(links, entries, 12, declared)


def test_aid_on_three_projects_by_three_pilots_is_judged_together_at_the_act_that_crosses() -> None:
    found = ledger(
        aid("p1:region/decision/d1", 100 * K, date(2025, 6, 1)),
        aid("p2:state/decision/d1", 100 * K, date(2025, 9, 1)),
        aid("p3:bdt/decision/d1", 100 * K + 1, date(2026, 2, 1)),
    )
    [verdict] = judge_ledger(found)
    assert verdict.act == "p3:bdt/decision/d1" and verdict.subject == f"single undertaking {A}"
    assert (verdict.limit, verdict.total) == (300_000_00, 300_000_01)
    assert [act for act, _ in verdict.counted] == [
        "p1:region/decision/d1",
        "p2:state/decision/d1",
        "p3:bdt/decision/d1",
    ]
    assert "aid counted: p1:region/decision/d1 EUR 100,000.00" in verdict.message


def test_two_sirens_joined_by_a_link_in_force_are_one_undertaking() -> None:
    entries = (
        aid("p1:region/decision/d1", 200 * K, date(2025, 6, 1)),
        aid("p2:state/decision/d1", 100 * K + 1, date(2026, 2, 1), siren=B),
    )
    assert judge_ledger(ledger(*entries)) == ()  # two undertakings: each under the ceiling
    joined = ledger(*entries, links=(link(A, B, date(2024, 1, 1)),))
    [verdict] = judge_ledger(joined)
    assert verdict.act == "p2:state/decision/d1" and verdict.subject == f"single undertaking {B} + {A}"


def test_a_link_that_ended_before_the_aid_no_longer_joins_the_sirens() -> None:
    entries = (
        aid("p1:region/decision/d1", 200 * K, date(2025, 6, 1)),
        aid("p2:state/decision/d1", 100 * K + 1, date(2026, 2, 1), siren=B),
    )
    ended = ledger(*entries, links=(link(A, B, date(2020, 1, 1), date(2022, 12, 31)),))
    assert judge_ledger(ended) == ()
    assert ended.undertaking(B, date(2026, 2, 1)) == {B}
    assert ended.undertaking(B, date(2021, 2, 1)) == {A, B}


def test_links_chain_through_a_third_siren() -> None:
    found = ledger(links=(link(A, B, date(2024, 1, 1)), link(C, B, date(2025, 1, 1))))
    assert found.undertaking(A, date(2024, 6, 1)) == {A, B}
    assert found.undertaking(A, date(2025, 6, 1)) == {A, B, C}


def test_aid_a_beneficiary_declares_by_hand_that_a_pilot_recorded_counts_once() -> None:
    recorded = aid("p1:region/decision/d1", 200 * K, date(2025, 6, 1))
    again = aid("p2:prior/a1", 200 * K, date(2025, 6, 1), origin="declared")
    twice = aid("p3:prior/x", 200 * K, date(2025, 6, 1), origin="declared")
    found = ledger(recorded, aid("p2:state/decision/d1", 100 * K, date(2026, 2, 1)), declared=(again, twice))
    assert [e.aid.key for e in found.counted] == ["p1:region/decision/d1", "p2:state/decision/d1"]
    assert judge_ledger(found) == ()  # 300,000.00: at the ceiling, not beyond


def test_the_standing_on_a_date_gives_the_window_total_and_headroom() -> None:
    found = ledger(
        aid("region/outside-aid/o1", 50 * K, date(2022, 1, 10), origin="outside"),
        aid("p1:region/decision/d1", 120 * K, date(2024, 5, 1)),
        aid("p2:state/decision/d1", 30 * K, date(2025, 6, 1), siren=B),
        links=(link(A, B, date(2025, 1, 1)),),
    )
    now = standing(found, A, date(2025, 12, 31))
    assert now.members == {A, B}
    assert now.general.regulation == "(EU) 2023/2831"
    assert (now.general.window_from, now.general.window_to) == (date(2023, 1, 1), date(2025, 12, 31))
    assert [e.aid.key for e in now.general.counted] == ["p1:region/decision/d1", "p2:state/decision/d1"]
    assert (now.general.total, now.headroom) == (150 * K, 150 * K)
    before = standing(found, A, date(2024, 12, 31))  # the link starts in 2025: B is not counted yet...
    assert before.members == {A} and before.general.total == 170 * K  # ...the 2022 outside aid still is


def test_aid_checked_under_rules_version_1_counts_but_is_never_named() -> None:
    """The ledger is rules version 2: an older act keeps the verdicts its plan gave it."""
    older = aid("p2:state/decision/d1", 100 * K + 1, date(2026, 2, 1))
    older = Entry(older.aid, older.origin, older.granted_by, older.project_id, judged=False)
    first = aid("p1:region/decision/d1", 200 * K, date(2025, 6, 1))
    assert judge_ledger(ledger(first, older)) == ()
    later = aid("p3:bdt/decision/d1", 1, date(2026, 3, 1))
    [verdict] = judge_ledger(ledger(first, older, later))
    assert verdict.act == "p3:bdt/decision/d1" and verdict.total == 300_000_02
