"""GDPR art. 17(3)(b): a controller that must keep a text for a legal obligation says why, rather than
destroy its key. Here state's funding service keeps its decisions' conditions (the justification of
public spending is kept for years); told of a project's erasure request, it destroys its other keys about
the project, keeps the condition's key with the reason, shows the hold, and counts it apart from the keys
left to erase. Region's funding service, which holds nothing back, destroys all of its own. Through the
funding services' HTTP APIs on a real nats-server, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
import pytest_asyncio

from ess_contracts import funding as f
from ess_contracts.event import Event
from ess_contracts.sealing import Sealed
from ess_contracts.types import Pilot
from tests.integration.test_funding_services import LINES, K, body, decided, project, request
from tests.support.funding_services import Funder, Funders, funding_services
from tests.support.funding_story import opinion
from tests.support.intake_service import stream_messages
from tests.support.natsfixtures import NatsEndpoint, provisioned_stream
from tests.support.sirens import fresh_siren

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOLD = "Conservation des pièces justificatives de la dépense publique (10 ans)"
REMARK = "Gérant : M. Paul Bernard, 07 11 22 33 44"
DETAIL = "Attestation signée de M. Bernard"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def held(
    backend_nats: tuple[str, NatsEndpoint], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Funders]:
    backend, server = backend_nats
    async with provisioned_stream(server.url) as (_, js):
        folder = tmp_path_factory.mktemp(f"hold-{backend}")
        holds: dict[Pilot, dict[str, str]] = {"state": {f.CONDITION_DETAIL_FIELD: HOLD}}
        async with funding_services(folder, server.url, js, backend, legal_holds=holds) as trio:
            yield trio


async def test_a_legal_hold_keeps_one_key_with_its_reason_and_every_other_key_goes(held: Funders) -> None:
    pid, siren = project(), fresh_siren()
    await held.submit(pid, LINES)
    await held.plans(pid)
    await held["region"].ok(pid, "opinions", body(opinion(), remark=REMARK))
    await held["state"].ok(pid, "opinions", body(opinion(), opinion_id="op-state", remark=REMARK))
    await held["state"].ok(pid, "requests", request("r-h1", 20 * K))
    conditions = [{"kind": "documents_provided", "due_on": "2026-06-30"}]
    conditional = decided(siren, "h1", 20 * K, "2026-04-04", outcome="conditional", conditions=conditions)
    conditional["conditions"][0]["detail"] = DETAIL  # as staff write it: text
    await held["state"].ok(pid, "decisions", conditional)
    await held.plans(pid, lambda p: len(p["facts"]["decisions"]) == 1)
    remarks, detail = await sealed_texts(held, pid)

    request_id = await held.request_erasure(pid)
    state = await view_once(  # erased here, and the signed destruction folded back into the view
        held["state"], pid, lambda v: not v["own_keys_left"] and remarks["state"].key in v["erased_keys"]
    )
    region = await view_once(held["region"], pid, lambda v: remarks["region"].key in v["erased_keys"])

    assert state["legal_holds"] == [
        {
            "field": f.CONDITION_DETAIL_FIELD,
            "reason": HOLD,
            "held_since": str(date.today()),
            "request_id": request_id,
        }
    ]
    assert remarks["state"].key in state["erased_keys"] and detail.key not in state["erased_keys"]
    assert region["legal_holds"] == [] and region["own_keys_left"] == 0
    keyring = held["state"].runtime.keyring
    assert await keyring.open(detail, pid, f.CONDITION_DETAIL_FIELD) == DETAIL  # kept, as the law says
    assert await keyring.open(remarks["state"], pid, f.OPINION_REMARK_FIELD) is None  # erased
    await asyncio.sleep(1.5)  # another round of the erasure reactor: the hold stands, nothing else is signed
    again = await view_once(held["state"], pid, lambda v: True)
    assert again["legal_holds"] == state["legal_holds"] and detail.key not in again["erased_keys"]


async def sealed_texts(held: Funders, pid: str) -> tuple[dict[str, Sealed], Sealed]:
    """Each pilot's opinion remark and state's condition detail, as the stream carries them."""
    raw = [data for _, data, _ in await stream_messages(held.js, f"ess.*.funding.project.{pid}.>")]
    events = [Event.model_validate_json(data).payload for data in raw]
    remarks = {p.remark.owner: p.remark for p in events if isinstance(p, f.ProjectOpinionGiven) and p.remark}
    decision = next(p for p in events if isinstance(p, f.ProjectDecisionRecorded))
    assert decision.conditions[0].detail is not None
    return remarks, decision.conditions[0].detail


async def view_once(funder: Funder, pid: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        answer = await funder.http.get(f"/projects/{pid}/view")
        assert answer.status_code == 200, answer.text
        if ready(view := answer.json()):
            return dict(view)
        assert time.monotonic() < deadline, f"{funder.pilot}: {view}"
        await asyncio.sleep(0.1)
