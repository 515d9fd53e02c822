"""A person's rights on request at intake (GDPR art. 15 and 17), through its HTTP API and the `ess`
command, on SQLite and PostgreSQL: the export holds every file of the person (and only theirs), who read
it and to whom the data went; the erasure destroys their titles' keys, signs it, and empties the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ess_contracts.event import Event
from ess_contracts.privacy import DataKeyDestroyed
from ess_core.messaging.schema import data_key, outbox
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_data import OTHER_SIRET, submission, with_value
from tests.support.intake_service import IntakeService, intake_service

EMAIL = "Claire.Moreau@example.org"


@pytest.fixture(params=BACKENDS)
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IntakeService]:
    async with database_url(request.param, tmp_path) as url, intake_service(url, tmp_path) as service:
        yield service


async def submitted(svc: IntakeService, title: str, email: str, siret: str) -> str:
    body = with_value(
        with_value(submission(title=title), "contact.email", email), "organisation.siret", siret
    )
    answer = await svc.client(("holder",), subject=f"holder-{len(title)}").post("/projects", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["project_id"])


async def test_export_then_erasure_of_one_person(svc: IntakeService) -> None:
    mine = [
        await submitted(svc, "Épicerie de Claire", EMAIL, submission()["organisation"]["siret"]),
        await submitted(svc, "Atelier vélo de Claire", EMAIL.lower(), OTHER_SIRET),
    ]
    other = await submitted(svc, "Recyclerie", "someone@example.org", OTHER_SIRET)
    admin = svc.client(("admin",))

    exported = (await admin.post("/privacy/export", json={"subject": EMAIL})).json()
    assert sorted(p["file"]["project_id"] for p in exported["projects"]) == sorted(mine)
    titles = {p["file"]["project"]["title"] for p in exported["projects"]}
    assert titles == {"Épicerie de Claire", "Atelier vélo de Claire"}
    for project in exported["projects"]:
        assert project["file"]["contact"]["email"].lower() == EMAIL.lower()
        assert any("Région des Pays de la Loire" in r for r in project["recipients"]), project["recipients"]
        assert project["access_log"][-1]["reader"] == "staff-1"  # the export's own read, logged

    erased = (await admin.post("/privacy/erasure", json={"subject": EMAIL})).json()
    assert sorted(p["project_id"] for p in erased["projects"]) == sorted(mine)
    destroyed = [k for p in erased["projects"] for k in p["destroyed_keys"]]
    assert len(destroyed) == 2
    async with svc.runtime.engine.connect() as conn:
        left = list(await conn.scalars(select(data_key.c.aggregate_id)))
        signed = [
            Event.model_validate_json(data).payload
            for data in await conn.scalars(select(outbox.c.data).where(outbox.c.aggregate_id.in_(mine)))
        ]
    assert left == [other]  # the other person's title keeps its key
    assert sorted(p.key for p in signed if isinstance(p, DataKeyDestroyed)) == sorted(destroyed)
    for project_id in mine:
        file = (await admin.get(f"/projects/{project_id}")).json()
        assert file["project"]["title"] == "[texte effacé]"
        assert file["contact"] == {"name": None, "email": None, "phone": None, "erased_on": "2026-03-02"}
        assert file["project"]["description"] == "" and file["attachments"] == []
    assert await files_holding(svc, [EMAIL.encode(), EMAIL.lower().encode(), b"de Claire"]) == []
    after = (await admin.post("/privacy/export", json={"subject": EMAIL})).json()
    assert after["projects"] == []  # nothing left that names the person
    assert (await admin.get(f"/projects/{other}")).json()["project"]["title"] == "Recyclerie"


async def files_holding(svc: IntakeService, needles: list[bytes]) -> list[str]:
    """Where the database's files still hold any of `needles`: SQLite's file and write-ahead log, byte
    for byte; on PostgreSQL every tuple of every page of intake's tables, dead ones included
    (pageinspect)."""
    engine = svc.runtime.engine
    if engine.dialect.name == "sqlite":
        database = Path(str(engine.url.database))
        files = [f for f in (database, database.with_name(database.name + "-wal")) if f.exists()]
        return [f"{f}: {n!r}" for f in files for n in needles if n in f.read_bytes()]
    found = []
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        tables = await conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        )
        for table in list(tables):
            pages = await conn.scalar(
                text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")
            )
            for page in range(int(pages or 0)):
                rows = await conn.scalars(
                    text(f"SELECT t_data FROM heap_page_items(get_raw_page('{table}', {page}))")
                )
                found += [
                    f"{table} page {page}: {n!r}"
                    for data in rows
                    if data
                    for n in needles
                    if n in bytes(data)
                ]
    return found


async def test_rights_are_for_admins_of_the_pilot(svc: IntakeService) -> None:
    for roles, pilot in ((("instructor",), "region"), (("admin",), "state"), (("operator",), "region")):
        client = svc.client(roles, pilot=pilot)
        for path in ("/privacy/export", "/privacy/erasure"):
            assert (await client.post(path, json={"subject": EMAIL})).status_code == 403, (roles, pilot, path)
    refused = await svc.client(("admin",)).post("/privacy/erasure", json={"subject": ""})
    assert refused.status_code == 422 and "subject" in refused.text
