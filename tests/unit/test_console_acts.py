"""A decision typed in the console's form: amounts as French readers write them, every field that cannot
be read named once, with its rule in French."""

from __future__ import annotations

import pytest

from ess_console.acts import cents, decision_body


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 500,50", 1_250_050),
        ("12\u202f500 €", 1_250_000),
        ("1.250", 125_000),
        ("40000,5", 4_000_050),
        ("0", 0),
        ("12,505", None),
        ("-5", None),
        ("douze", None),
        ("", None),
    ],
)
def test_an_amount_in_euros_is_read_the_french_way(typed: str, expected: int | None) -> None:
    assert cents(typed) == expected


def test_a_grant_takes_its_amount_as_equivalent_and_its_decision_day_as_the_day_of_the_right() -> None:
    typed = {
        "request_id": "r1",
        "decided_on": "2026-12-04",
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": "40 000",
        "state_aid_basis": "de_minimis_general",
    }
    body, errors = decision_body(typed)
    assert errors == {}
    assert (body["nominal_amount"], body["gross_grant_equivalent"], body["legal_right_on"]) == (
        4_000_000,
        4_000_000,
        "2026-12-04",
    )


def test_each_unreadable_field_is_named_once() -> None:
    _, errors = decision_body({"instrument": "loan", "nominal_amount": "beaucoup", "decided_on": "hier"})
    assert sorted(errors) == [
        "decided_on",
        "gross_grant_equivalent",
        "nominal_amount",
        "outcome",
        "request_id",
    ]
    assert errors["nominal_amount"].startswith("Saisissez un montant en euros")


def test_every_code_a_form_offers_has_its_french_words() -> None:
    """The console's words for the contracts' codes: a code added to a contract must be named in French."""
    from typing import get_args

    from ess_console import labels
    from ess_contracts.evaluation import ActionProgress, SessionItemKind, SessionKind
    from ess_contracts.funding import Instrument, OpinionOutcome, StateAidBasis
    from ess_contracts.intake import BudgetCategory
    from ess_views.timeline import PROJECT_TYPES

    assert set(labels.INSTRUMENTS) == set(get_args(Instrument))
    assert set(labels.STATE_AID_BASES) == set(get_args(StateAidBasis))
    assert set(labels.OPINION_OUTCOMES) == set(get_args(OpinionOutcome))
    assert set(labels.BUDGET_CATEGORIES) == set(get_args(BudgetCategory))
    assert set(labels.EVENT_TYPES) == PROJECT_TYPES
    assert set(labels.SESSION_KINDS) == set(get_args(SessionKind))
    assert set(labels.SESSION_ITEM_KINDS) == set(get_args(SessionItemKind))
    assert set(labels.PROGRESS) == set(get_args(ActionProgress))
