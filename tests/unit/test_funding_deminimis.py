"""De minimis per single undertaking, by the regulation in force on the date of each aid, figures by hand.

(EU) 1407/2013 until 2023-12-31: EUR 200,000 over the current and two previous fiscal years.
(EU) 2023/2831 from 2024-01-01: EUR 300,000 over any period of three years (rolling).
(EU) 360/2012 until 2023-12-31 and 2023/2832 from 2024-01-01 (SGEI): EUR 500,000 / EUR 750,000, general
de minimis counted in.
"""

from __future__ import annotations

from datetime import date

import pytest

from ess_contracts.reference.strategy import de_minimis_ceiling
from ess_views.funding_plan.deminimis import de_minimis, fiscal_year_start, window_start
from ess_views.funding_plan.rules import judge
from tests.support.funding_facts import LINKED, OTHER, SIREN, cofunder, decision, declaration, plan, prior

K = 1_000_00  # EUR 1,000.00


def _three_pilots(bdt_cents: int) -> object:
    return plan(
        decisions=[
            decision("region", "d1", 100 * K, date(2025, 6, 1)),
            decision("state", "d1", 100 * K, date(2025, 9, 1)),
            decision("bdt", "d1", bdt_cents, date(2026, 2, 1)),
        ]
    )


def test_aid_of_three_pilots_exactly_at_the_ceiling_is_allowed() -> None:
    assert de_minimis(_three_pilots(100 * K)) == []  # 100,000 x 3 = 300,000.00 under 2023/2831


def test_one_cent_above_the_ceiling_is_a_breach_named_on_the_aid_that_crossed() -> None:
    [verdict] = de_minimis(_three_pilots(100 * K + 1))
    assert verdict.rule == "de_minimis"
    assert verdict.subject == f"single undertaking {SIREN}"
    assert verdict.act == "bdt/decision/d1"
    assert verdict.regulation == "(EU) 2023/2831, general"
    assert (verdict.limit, verdict.total, verdict.excess) == (300_000_00, 300_000_01, 1)
    assert (verdict.window_from, verdict.window_to) == (date(2023, 2, 2), date(2026, 2, 1))
    assert verdict.window == "any period of three years: 2023-02-02 to 2026-02-01"
    assert verdict.counted == (
        ("region/decision/d1", 100 * K),
        ("state/decision/d1", 100 * K),
        ("bdt/decision/d1", 100 * K + 1),
    )
    assert "EUR 300,000.01 against EUR 300,000.00, EUR 0.01 beyond" in verdict.message
    assert judge(_three_pilots(100 * K + 1)).summary.status == "in_conflict"


def _rolling(prior_on: date) -> object:
    """2023/2831: aid granted 2026-04-01 counts aid from 2023-04-02 on."""
    return plan(
        decisions=[decision("state", "d1", 150 * K + 1, date(2026, 4, 1))],
        declarations=[declaration(prior("old", 150 * K, prior_on))],
    )


def test_rolling_three_years_aid_one_day_outside_does_not_count() -> None:
    assert de_minimis(_rolling(date(2023, 4, 1))) == []
    [verdict] = de_minimis(_rolling(date(2023, 4, 2)))
    assert verdict.total == 300 * K + 1 and verdict.act == "state/decision/d1"


def _fiscal(prior_on: date, fy_end: int = 12) -> object:
    """1407/2013: aid granted 2023-03-01 counts the fiscal years 2021, 2022 and 2023 (calendar years)."""
    return plan(
        decisions=[decision("state", "d1", 50 * K + 1, date(2023, 3, 1))],
        declarations=[declaration(prior("old", 150 * K, prior_on), fy_end=fy_end)],
    )


def test_fiscal_years_aid_one_day_before_the_first_fiscal_year_does_not_count() -> None:
    assert de_minimis(_fiscal(date(2020, 12, 31))) == []
    [verdict] = de_minimis(_fiscal(date(2021, 1, 1)))
    assert verdict.regulation == "(EU) 1407/2013, general"
    assert (verdict.limit, verdict.total) == (200_000_00, 200_000_01)
    assert (verdict.window_from, verdict.window_to) == (date(2021, 1, 1), date(2023, 3, 1))
    assert verdict.window.startswith("current and two previous fiscal years, fiscal years ending in month 12")


def test_fiscal_years_and_rolling_three_years_differ_on_the_same_gap() -> None:
    # 2020-12-31 is 2 years and 2 months before 2023-03-01: outside the 1407/2013 fiscal window, though a
    # rolling window of three years would hold it; the rolling window of 2023/2831 does hold it in 2024.
    assert de_minimis(_fiscal(date(2020, 12, 31))) == []
    rolling = plan(
        decisions=[decision("state", "d1", 150 * K + 1, date(2024, 1, 2))],
        declarations=[declaration(prior("old", 150 * K, date(2021, 1, 3)))],
    )
    [verdict] = de_minimis(rolling)
    assert verdict.window_from == date(2021, 1, 3) and verdict.total == 300 * K + 1


def test_fiscal_years_follow_the_declared_year_end() -> None:
    # Fiscal years ending in June: 2023-03-01 is in FY 2022-07-01..2023-06-30; the window opens 2020-07-01.
    assert fiscal_year_start(date(2023, 3, 1), 6) == date(2022, 7, 1)
    assert de_minimis(_fiscal(date(2020, 6, 30), fy_end=6)) == []
    [verdict] = de_minimis(_fiscal(date(2020, 7, 1), fy_end=6))
    assert verdict.window_from == date(2020, 7, 1)


def test_window_starts() -> None:
    general_2024 = de_minimis_ceiling("general", date(2024, 1, 1))
    general_2023 = de_minimis_ceiling("general", date(2023, 12, 31))
    assert window_start(general_2024, date(2028, 2, 29)) == date(2025, 3, 1)
    assert window_start(general_2024, date(2026, 1, 1)) == date(2023, 1, 2)
    assert window_start(general_2023, date(2023, 12, 31)) == date(2021, 1, 1)
    assert window_start(general_2023, date(2023, 12, 31), 3) == date(2021, 4, 1)


def test_sgei_aid_is_judged_against_its_own_ceiling_with_general_aid_counted_in() -> None:
    def sgei_plan(general_cents: int) -> object:
        return plan(
            decisions=[
                decision("region", "d1", general_cents, date(2024, 1, 15)),
                decision("state", "d1", 700 * K, date(2024, 6, 1), state_aid_basis="de_minimis_sgei"),
            ]
        )

    assert de_minimis(sgei_plan(50 * K)) == []  # 700,000 SGEI is far above 300,000 but within 750,000
    [verdict] = de_minimis(sgei_plan(50 * K + 1))
    assert verdict.act == "state/decision/d1"
    assert verdict.regulation == "(EU) 2023/2832, sgei"
    assert (verdict.limit, verdict.total) == (750_000_00, 750_000_01)


def test_sgei_aid_does_not_count_against_the_general_ceiling_but_limits_cumulation() -> None:
    within = plan(
        decisions=[
            decision("state", "d1", 200 * K, date(2024, 3, 1), state_aid_basis="de_minimis_sgei"),
            decision("bdt", "d1", 300 * K, date(2024, 4, 1)),
        ]
    )
    assert de_minimis(within) == []  # general 300,000 alone; 500,000 cumulated, within 750,000
    beyond = plan(
        decisions=[
            decision("state", "d1", 600 * K, date(2024, 3, 1), state_aid_basis="de_minimis_sgei"),
            decision("bdt", "d1", 150 * K + 1, date(2024, 4, 1)),
        ]
    )
    [verdict] = de_minimis(beyond)
    assert verdict.act == "bdt/decision/d1" and verdict.regulation == "(EU) 2023/2832, sgei"
    assert verdict.total == 750 * K + 1


def test_sgei_before_2024_uses_regulation_360_2012() -> None:
    at = plan(
        decisions=[decision("state", "d1", 500 * K, date(2023, 6, 1), state_aid_basis="de_minimis_sgei")]
    )
    assert de_minimis(at) == []
    above = plan(
        decisions=[decision("state", "d1", 500 * K + 1, date(2023, 6, 1), state_aid_basis="de_minimis_sgei")]
    )
    [verdict] = de_minimis(above)
    assert verdict.regulation == "(EU) 360/2012, sgei" and verdict.limit == 500_000_00


def test_the_single_undertaking_gathers_linked_undertakings_and_leaves_others_apart() -> None:
    facts = plan(
        decisions=[
            decision("state", "d1", 200 * K, date(2025, 1, 1)),
            decision("bdt", "d1", 100 * K + 1, date(2025, 2, 1), beneficiary_siren=LINKED),
            decision("region", "d1", 250 * K, date(2025, 3, 1), beneficiary_siren=OTHER),
        ],
        declarations=[declaration(linked=(LINKED,))],
    )
    [verdict] = de_minimis(facts)
    assert verdict.subject == f"single undertaking {SIREN}" and verdict.act == "bdt/decision/d1"
    without_link = plan(decisions=facts.decisions)
    assert de_minimis(without_link) == []


def test_only_aid_that_grants_on_a_de_minimis_basis_counts() -> None:
    on = date(2025, 5, 1)
    facts = plan(
        decisions=[
            decision("state", "d1", 250 * K, on),
            decision("bdt", "d1", 250 * K, on, cancelled_on=date(2025, 6, 1)),
            decision("bdt", "d2", 250 * K, on, state_aid_basis="block_exemption", scheme_reference="SA.1"),
            decision("region", "d1", 250 * K, on, state_aid_basis="not_state_aid"),
        ],
        cofunders=[
            cofunder(
                "cf1",
                50 * K,
                on,
                state_aid_basis="de_minimis_general",
                gross_grant_equivalent=50 * K,
                legal_right_on=on,
                beneficiary_siren=SIREN,
            ),
            cofunder(
                "cf2",
                50 * K,
                on,
                status="requested",
                state_aid_basis="de_minimis_general",
                gross_grant_equivalent=50 * K,
                legal_right_on=on,
                beneficiary_siren=SIREN,
            ),
        ],
    )
    assert de_minimis(facts) == []  # 250,000 + 50,000 = 300,000: at the ceiling


def test_the_declaration_in_force_is_the_latest_one() -> None:
    on = date(2026, 1, 10)
    old = declaration(prior("a", 250 * K, date(2025, 1, 1)), declared_on=date(2026, 1, 1))
    new = declaration(prior("b", 100 * K, date(2025, 1, 1)), declared_on=date(2026, 1, 2))
    facts = plan(decisions=[decision("state", "d1", 200 * K, on)], declarations=[new, old])
    assert de_minimis(facts) == []


@pytest.mark.parametrize("day", [date(2022, 1, 1), date(2023, 12, 31), date(2024, 1, 1), date(2030, 7, 1)])
def test_every_date_has_a_regulation_and_a_window(day: date) -> None:
    for scope in ("general", "sgei"):
        ceiling = de_minimis_ceiling(scope, day)  # type: ignore[arg-type]
        assert window_start(ceiling, day) < day
