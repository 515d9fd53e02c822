"""`ESS_<SERVICE>_LEGAL_HOLDS` (GDPR art. 17(3)(b)): which sealed fields a service keeps on an erasure
request, and why. A field the service does not seal, or no reason, stops the start with the rule named."""

from __future__ import annotations

import json

import pytest

from ess_contracts.funding import CONDITION_DETAIL_FIELD
from ess_core.service.settings import legal_holds_from_env

REASON = "Conservation des pièces justificatives de la dépense publique (10 ans)"


def test_a_hold_names_a_sealed_field_of_the_service_and_its_reason() -> None:
    env = {"ESS_FUNDING_LEGAL_HOLDS": json.dumps({CONDITION_DETAIL_FIELD: f" {REASON} "})}
    assert legal_holds_from_env("funding", env) == {CONDITION_DETAIL_FIELD: REASON}
    assert legal_holds_from_env("intake", env) == {}  # another service's setting
    assert legal_holds_from_env("funding", {}) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"project.title": "x"}', "'project.title' is not a field the funding service seals"),
        (json.dumps({CONDITION_DETAIL_FIELD: " "}), "decision.condition: the legal reason must be text"),
        (json.dumps({CONDITION_DETAIL_FIELD: "x" * 401}), "of 1 to 400 characters"),
        ('["decision.condition"]', "a JSON object is expected"),
        ("decision.condition=x", "not JSON"),
    ],
)
def test_a_hold_the_service_cannot_keep_stops_the_start_naming_the_rule(value: str, message: str) -> None:
    with pytest.raises(SystemExit, match="ESS_FUNDING_LEGAL_HOLDS: ") as refused:
        legal_holds_from_env("funding", {"ESS_FUNDING_LEGAL_HOLDS": value})
    assert message in str(refused.value)
