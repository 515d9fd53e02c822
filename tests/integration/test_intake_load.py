"""1,000 submissions sent at once, 10% of them invalid, against a real nats-server and both databases:
every valid one lands exactly once (in intake's tables and on the stream), every invalid one is
refused with a 422, and nothing else is lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select

from ess_intake.adapters.tables import project
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_data import INVALID_FIELDS, submission, with_value
from tests.support.intake_service import IntakeService, intake_service, subject_counts

TOTAL = 1000
INVALID_EVERY = 10
TIME_LIMIT = 120.0  # seconds for the whole burst, publishing included: ~10-20 s on 2 idle cores

Running = tuple[IntakeService, JetStreamContext]


@pytest.fixture(params=BACKENDS)
async def running(
    request: pytest.FixtureRequest, tmp_path: Path, nats_url: str, js_stream: Any
) -> AsyncIterator[Running]:
    _, js = js_stream
    async with (
        database_url(request.param, tmp_path) as url,
        intake_service(url, tmp_path, nats_url, start=True) as svc,
    ):
        yield svc, js


def body(i: int) -> tuple[dict[str, Any], bool]:
    """The i-th submission and whether it is valid; one in ten breaks a field (a different one each time)."""
    valid = submission(title=f"Projet coopératif n°{i}", planned_jobs=i % 7)
    if i % INVALID_EVERY:
        return valid, True
    path, value, _, _ = INVALID_FIELDS[(i // INVALID_EVERY) % len(INVALID_FIELDS)]
    return with_value(valid, path, value), False


@pytest.mark.timeout(240)
async def test_a_thousand_concurrent_submissions_land_exactly_once(running: Running) -> None:
    svc, js = running
    holders = [svc.client(("holder",), subject=f"holder-{n}") for n in range(10)]
    cases = [body(i) for i in range(TOTAL)]
    started = time.monotonic()
    answers = await asyncio.gather(
        *(
            holders[i % 10].post("/projects", json=payload, headers={"Idempotency-Key": f"load-{i}"})
            for i, (payload, _) in enumerate(cases)
        )
    )
    answered = time.monotonic() - started
    statuses = [(a.status_code, valid) for a, (_, valid) in zip(answers, cases, strict=True)]
    assert {s for s, valid in statuses if valid} == {201}
    assert {s for s, valid in statuses if not valid} == {422}
    created = {a.json()["project_id"] for a in answers if a.status_code == 201}
    assert len(created) == TOTAL - TOTAL // INVALID_EVERY

    async with svc.runtime.engine.connect() as conn:
        stored = set(await conn.scalars(select(project.c.project_id)))
    assert stored == created
    await svc.published(limit=TIME_LIMIT)
    for kind in ("project_submitted", "project_qualified"):
        counts = await subject_counts(js, f"ess.region.intake.project.*.{kind}")
        assert {s.split(".")[4] for s in counts} == created, kind
        assert set(counts.values()) == {1}, kind
    total = time.monotonic() - started
    print(f"\n{TOTAL} submissions: answered in {answered:.1f} s, all published in {total:.1f} s")
    assert total < TIME_LIMIT
