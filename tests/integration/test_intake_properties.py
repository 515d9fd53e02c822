"""Property-based tests over submissions (hypothesis): whatever is sent, the service answers 201, 409
or 422, never a 500 or a crash; what it accepts travels exactly (cents, title, identifiers)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from ess_contracts.event import Event
from ess_contracts.intake import TITLE_FIELD
from ess_core.messaging.schema import outbox
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_service import IntakeService, intake_service
from tests.support.intake_strategies import broken_submissions, valid_submissions

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(params=BACKENDS)
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IntakeService]:
    async with database_url(request.param, tmp_path) as url, intake_service(url, tmp_path) as service:
        yield service


@PROPERTY
@given(body=broken_submissions())
async def test_any_body_gets_201_409_or_422_never_a_crash(svc: IntakeService, body: Any) -> None:
    response = await svc.client(("holder",)).post("/projects", json=body)
    assert response.status_code in (201, 409, 422), response.text
    if response.status_code == 422:
        for error in response.json()["detail"]:
            assert error["loc"][0] == "body" and error["msg"] and error["type"]


@PROPERTY
@given(body=valid_submissions())
async def test_a_valid_submission_is_accepted_and_travels_exactly(
    svc: IntakeService, body: dict[str, Any]
) -> None:
    response = await svc.client(("holder",)).post("/projects", json=body)
    if response.status_code == 409:  # the same SIRET and title drawn twice: the first is open
        assert response.json()["detail"]["existing_project_id"]
        return
    assert response.status_code == 201, response.text
    pid = response.json()["project_id"]
    async with svc.runtime.engine.connect() as conn:
        rows = await conn.scalars(
            select(outbox.c.data).where(outbox.c.aggregate_id == pid).order_by(outbox.c.sequence)
        )
        submitted = Event.model_validate_json(next(iter(rows))).payload
    sent = body["project"]
    title = await svc.runtime.keyring.open(submitted.project.title, pid, TITLE_FIELD)  # type: ignore[attr-defined]
    assert title == unicodedata.normalize("NFC", sent["title"].strip())
    cents = [int(Decimal(str(line["amount"])) * 100) for line in sent["budget"]["lines"]]
    assert [line.amount for line in submitted.project.budget.lines] == cents  # type: ignore[attr-defined]
    assert submitted.project.budget.total == sum(cents)  # type: ignore[attr-defined]
    assert submitted.organisation.siret == body["organisation"]["siret"]  # type: ignore[attr-defined]


RAW_BODIES = [
    b'{"organisation": "\\ud800"}',
    b'{"project": {"title": "\\udfff\\ud800"}}',
    b"\xff\xfe not utf-8",
    b'{"a": ' * 2000 + b"1" + b"}" * 2000,
    b"1e999999",
    b'{"project": {"budget": {"total": 1e400}}}',
    b"",
]


@pytest.mark.parametrize("raw", RAW_BODIES, ids=range(len(RAW_BODIES)))
async def test_malformed_bytes_are_refused_cleanly(tmp_path: Path, raw: bytes) -> None:
    async with database_url("sqlite", tmp_path) as url, intake_service(url, tmp_path) as svc:
        response = await svc.client(("holder",)).post(
            "/projects", content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text  # 400: too deep for the JSON parser
        json.loads(response.content)
