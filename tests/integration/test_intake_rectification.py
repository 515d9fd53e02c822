"""Rectification (GDPR art. 16): a correction that changes a project's title destroys the old title's
key, says so on the stream before the corrected dossier, and seals the new title under a new key; a
correction that keeps the title keeps its key. On SQLite and PostgreSQL, through intake's HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ess_contracts.event import Event
from ess_contracts.intake import TITLE_FIELD, ProjectCorrected, ProjectSubmitted
from ess_contracts.privacy import DataKeyDestroyed
from ess_contracts.sealing import CannotOpen, context_of, open_box
from ess_core.messaging.schema import data_key, outbox
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_data import submission
from tests.support.intake_service import IntakeService, intake_service

OLD, NEW = "Épicerie de Jeanne Dupont", "Épicerie coopérative du bocage"


@pytest.fixture(params=BACKENDS)
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IntakeService]:
    async with database_url(request.param, tmp_path) as url, intake_service(url, tmp_path) as service:
        yield service


async def test_a_corrected_title_erases_the_old_one_everywhere(svc: IntakeService) -> None:
    holder = svc.client(("holder",), subject="h1")
    answer = await holder.post("/projects", json=submission(title=OLD))
    assert answer.status_code == 201, answer.text
    pid = answer.json()["project_id"]
    await correct(holder, pid, OLD)  # the title kept: its key kept, nothing destroyed
    await correct(holder, pid, NEW)

    events = await journal(svc, pid)
    types = [type(e.payload).__name__ for e in events]
    assert types.count("DataKeyDestroyed") == 1
    destroyed = next(e.payload for e in events if isinstance(e.payload, DataKeyDestroyed))
    assert destroyed.reason == "rectification" and destroyed.field == TITLE_FIELD
    assert types.index("DataKeyDestroyed") == len(types) - 3  # before the last correction and qualification
    titles = [
        e.payload.project.title for e in events if isinstance(e.payload, ProjectSubmitted | ProjectCorrected)
    ]
    assert [t.key for t in titles[:2]] == [destroyed.key, destroyed.key] and titles[2].key != destroyed.key

    async with svc.runtime.engine.connect() as conn:
        secrets = list(await conn.scalars(select(data_key.c.secret)))
    assert len(secrets) == 1  # the new title's key only
    context = context_of(pid, TITLE_FIELD)
    assert open_box(titles[2], secrets[0], context) == NEW
    for old in titles[:2]:
        with pytest.raises(CannotOpen):
            open_box(old, secrets[0], context)
    file = (await svc.client(("instructor",)).get(f"/projects/{pid}")).json()
    assert file["project"]["title"] == NEW


async def correct(holder: object, pid: str, title: str) -> None:
    body = {k: submission(title=title)[k] for k in ("organisation", "contact", "project")}
    answer = await holder.put(f"/projects/{pid}/dossier", json=body)  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text


async def journal(svc: IntakeService, pid: str) -> list[Event]:
    query = select(outbox.c.data).where(outbox.c.aggregate_id == pid).order_by(outbox.c.sequence)
    async with svc.runtime.engine.connect() as conn:
        return [Event.model_validate_json(data) for data in await conn.scalars(query)]
