"""The authority rules of ess_contracts.authority, one catalogue type at a time; the folds and the seven
services are attacked in tests/integration/test_authority_fold.py and tests/security/test_authority.py."""

from __future__ import annotations

import pytest

from ess_contracts.authority import OWN_ACTS, owned_id, owner_of, refusal, who_may_emit
from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_core.messaging.outbox import Outbox
from ess_core.refusals import Invalid
from tests.support import events as ev
from tests.support.pilots import Pilots


def test_every_event_type_says_who_may_emit_it() -> None:
    rules = {t: who_may_emit(t) for t in PAYLOAD_TYPES}
    assert (
        rules["project_withdrawn"] == "only the project's owner: the intake service of the pilot its id names"
    )
    assert rules["project_decision_recorded"].startswith("any pilot's funding service, about any project")
    assert rules["project_review_recorded"].startswith("any pilot's evaluation service, about any project")
    assert rules["indicator_measure_recorded"].endswith("(each pilot's indicators are its own)")
    assert {t for t, rule in rules.items() if "its own act," in rule} == OWN_ACTS


def test_a_project_id_names_its_owner() -> None:
    minted = owned_id("bdt")
    assert owner_of(minted) == "bdt" and len(minted) == len("bdt-") + 36
    assert [owner_of(i) for i in ("region-p1", "state-x", "regional-p1", "region-", "p1", "")] == [
        "region",
        "state",
        None,
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("pilot", "service", "payload", "aggregate_id", "reason"),
    [
        ("region", "intake", ev.submitted(), "region-p1", None),
        (
            "state",
            "intake",
            ev.submitted(),
            "region-p1",
            "it is region's intake's; state's intake may not emit",
        ),
        ("region", "intake", ev.submitted(), "p1", "the id names no pilot"),
        ("bdt", "funding", ev.decided("d1", 100), "region-p1", None),
        ("bdt", "funding", ev.decided("d1", 100), "p1", "the id names no pilot"),
        (
            "state",
            "intake",
            ev.withdrawn(),
            "bdt-p1",
            "it is bdt's intake's; state's intake may not emit project_withdrawn",
        ),
    ],
)
def test_who_may_speak_for_a_project(
    pilot: str, service: str, payload: object, aggregate_id: str, reason: str | None
) -> None:
    found = refusal(ev.event(payload, pilot, service, aggregate_id, 1))  # type: ignore[arg-type]
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.startswith(f"not the owner of project {aggregate_id}: ")
        assert reason in found, found


async def test_the_outbox_refuses_an_act_every_fold_would_dead_letter() -> None:
    box = Outbox("state", "funding", Pilots.generate().signers["state"])
    with pytest.raises(Invalid, match=r"not the owner of project p1: the id names no pilot"):
        box._check_issuable([ev.event(ev.decided("d1", 100), "state", "funding", "p1", 1)])
