"""A funder's free text (an opinion's remark, a condition's detail) travels sealed: staff write text, the
service seals it in the act's transaction under its own pilot's key for the project, the stream carries
only boxes, and a held act keeps them sealed through its approval. Through the three funding services'
HTTP APIs, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from ess_contracts import funding as f
from ess_contracts.event import Event
from tests.integration.test_funding_services import LINES, K, body, decided, project, request
from tests.support.funding_services import Funders
from tests.support.funding_story import opinion
from tests.support.intake_service import stream_messages
from tests.support.sirens import fresh_siren

pytestmark = pytest.mark.asyncio(loop_scope="module")

REMARK = "Gérant : M. Paul Bernard (paul.bernard@example.org), à revoir."
DETAIL = "Attestation signée de M. Bernard, 07 11 22 33 44"


async def test_remarks_and_conditions_travel_sealed_and_open_for_their_author(funders: Funders) -> None:
    pid, siren = project(), fresh_siren()
    await funders.submit(pid, LINES)
    await funders.plans(pid)
    await funders["region"].ok(pid, "opinions", body(opinion(), remark=REMARK))
    await funders["state"].ok(pid, "requests", request("r-dc1", 20 * K))
    conditions = [{"kind": "documents_provided", "due_on": "2026-06-30"}]
    conditional = decided(siren, "dc1", 20 * K, "2026-04-04", outcome="conditional", conditions=conditions)
    conditional["conditions"][0]["detail"] = DETAIL  # as staff write it: text
    await funders["state"].ok(pid, "decisions", conditional)
    await funders.plans(pid, lambda p: len(p["facts"]["decisions"]) == 1)

    raw = [data for _, data, _ in await stream_messages(funders.js, f"ess.*.funding.project.{pid}.>")]
    assert raw and not any(text.encode() in data for data in raw for text in (REMARK, DETAIL, "Bernard"))
    events = [Event.model_validate_json(data) for data in raw]
    given = next(e.payload for e in events if isinstance(e.payload, f.ProjectOpinionGiven))
    decided_ = next(e.payload for e in events if isinstance(e.payload, f.ProjectDecisionRecorded))
    assert given.remark is not None and given.remark.owner == "region"
    detail = decided_.conditions[0].detail
    assert detail is not None and detail.owner == "state"
    region, state = funders["region"].runtime.keyring, funders["state"].runtime.keyring
    assert await region.open(given.remark, pid, f.OPINION_REMARK_FIELD) == REMARK
    assert await state.open(detail, pid, f.CONDITION_DETAIL_FIELD) == DETAIL
    assert await state.open(detail, pid, f.OPINION_REMARK_FIELD) is None  # a box opens for its field only
    # This fixture gives the pilots no encryption keys: no copy reaches another pilot, nothing opens there.
    assert await funders["bdt"].runtime.keyring.open(given.remark, pid, f.OPINION_REMARK_FIELD) is None


async def test_free_text_longer_than_its_rule_is_refused_naming_the_field(funders: Funders) -> None:
    pid = project()
    await funders.submit(pid, LINES)
    await funders.plans(pid)
    too_long = body(opinion(), opinion_id=f"op-{uuid.uuid4().hex[:8]}", remark="x" * 501)
    answer = await funders["region"].act(pid, "opinions", too_long)
    assert answer.status_code == 422, answer.text
    assert "opinion: remark: String should have at most 500 characters" in answer.text
