"""A person's rights on request at intake (GDPR art. 15 and 17), through its HTTP API and the `ess`
command, on SQLite and PostgreSQL: the export holds every file of the person (and only theirs), who read
it and to whom the data went; the erasure destroys their titles' keys, signs it, and empties the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

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
    answer = await svc.client(("holder",), subject=f"holder-{title}").post("/projects", json=body)
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
    after = (await admin.post("/privacy/export", json={"subject": EMAIL})).json()
    assert after["projects"] == []  # nothing left that names the person
    assert (await admin.get(f"/projects/{other}")).json()["project"]["title"] == "Recyclerie"


async def test_rights_are_for_admins_of_the_pilot(svc: IntakeService) -> None:
    for roles, pilot in ((("instructor",), "region"), (("admin",), "state"), (("operator",), "region")):
        client = svc.client(roles, pilot=pilot)
        for path in ("/privacy/export", "/privacy/erasure"):
            assert (await client.post(path, json={"subject": EMAIL})).status_code == 403, (roles, pilot, path)
    refused = await svc.client(("admin",)).post("/privacy/erasure", json={"subject": ""})
    assert refused.status_code == 422 and "subject" in refused.text
