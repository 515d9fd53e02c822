"""A project's life at intake, against a real nats-server and both databases: correction through the
holder's private link, orientation and the networks' answers, the projects no network accepted in time,
withdrawal and closure, erasure of contact data; and no personal data ever on the stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select

from ess_core.messaging.schema import outbox
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_data import DOCX, OTHER_SIRET, PDF, b64, network, submission, with_value
from tests.support.intake_service import IntakeService, intake_service, stream_messages

Running = tuple[IntakeService, JetStreamContext]
D0 = date(2026, 3, 2)
DOCX_FILE = {
    "file_name": "budget prévisionnel Fabrique.docx",
    "kind": "budget",
    "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "content": b64(DOCX),
}


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


def correction_of(body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**{k: body[k] for k in ("organisation", "contact", "project")}, **extra}


async def test_correction_orientation_answers_and_the_end_of_a_file(running: Running) -> None:
    svc, _ = running
    admin, instructor = svc.client(), svc.client(("instructor",), subject="instructor-1")
    holder = svc.client(("holder",), subject="holder-1")
    for entry in (network("n44"), network("n85", departments=["85"])):
        assert (await admin.post("/networks", json=entry)).status_code == 201
    assert (await admin.post("/networks", json=network("n44"))).status_code == 409

    a = (await holder.post("/projects", json=submission())).json()
    assert (a["status"], a["oriented_to"]) == ("qualified", ["n44"])
    company = with_value(submission(title="Boutique"), "organisation.legal_form", "commercial_company")
    b = (await holder.post("/projects", json=company)).json()
    assert (b["status"], b["eligible"], b["ineligibility_reasons"], b["oriented_to"]) == (
        "ineligible",
        False,
        ["commercial_company_without_esus"],
        [],
    )
    assert b["objectives"] == ["O1", "O13", "O14"]

    # An instructor asks for a correction; the holder answers through the private link.
    ask = {
        "fields": ["description", "attachments"],
        "reasons": ["missing_information"],
        "remark": "Précisez.",
    }
    late = await instructor.post(
        f"/projects/{a['project_id']}/correction-requests", json={**ask, "answer_by": "2026-03-01"}
    )
    assert late.status_code == 422 and late.json()["detail"][0]["field"] == "answer_by"
    asked = await instructor.post(
        f"/projects/{a['project_id']}/correction-requests", json={**ask, "answer_by": "2026-04-01"}
    )
    assert asked.status_code == 200 and asked.json()["status"] == "correction_requested"
    assert (
        await instructor.post(f"/projects/{a['project_id']}/correction-requests", json=ask)
    ).status_code == 409
    link = svc.client(token=False)
    page = (await link.get(a["follow_link"])).json()
    assert page["pending_request"]["remark"] == "Précisez." and page["status"] == "correction_requested"
    assert (await link.get(a["follow_link"][:-4] + "AAAA")).status_code == 404
    pdf_sha = (await admin.get(f"/projects/{a['project_id']}")).json()["attachments"][0]["sha256"]
    fixed = correction_of(submission(), add_attachments=[DOCX_FILE], remove_attachments=[pdf_sha])
    fixed["project"]["description"] = "Une description détaillée."
    corrected = await link.put(a["follow_link"] + "/dossier", json=fixed)
    assert corrected.status_code == 200 and corrected.json()["status"] == "qualified", corrected.text
    gone = correction_of(submission(), remove_attachments=[pdf_sha])
    assert (await link.put(a["follow_link"] + "/dossier", json=gone)).json()["detail"][0][
        "field"
    ] == "remove_attachments.0"
    file_a = (await admin.get(f"/projects/{a['project_id']}")).json()
    assert [f["file_name"] for f in file_a["attachments"]] == [DOCX_FILE["file_name"]]
    assert file_a["correction_requests"][0]["answered_on"] == D0.isoformat()
    download = await admin.get(
        f"/projects/{a['project_id']}/attachments/{file_a['attachments'][0]['sha256']}"
    )
    assert download.content == DOCX and download.headers["content-type"].startswith("application/vnd.openxml")

    # Networks answer for themselves only; an instructor may record an answer for them.
    n44, n85 = (svc.client(("network",), subject=f"network-{n}") for n in ("n44", "n85"))
    assert (await n85.post(f"/projects/{a['project_id']}/orientations/n44/acceptance")).status_code == 403
    assert (await n85.post(f"/projects/{a['project_id']}/orientations/n85/acceptance")).status_code == 404
    assert (await n44.get(f"/projects/{a['project_id']}")).status_code == 200  # it takes the project on
    assert (await n85.get(f"/projects/{a['project_id']}")).status_code == 403
    assert (await n44.post(f"/projects/{a['project_id']}/orientations/n44/acceptance")).json()[
        "answer"
    ] == "accepted"
    assert (await n44.post(f"/projects/{a['project_id']}/orientations/n44/acceptance")).status_code == 409

    # A network registered later reaches open projects when an instructor orients them again.
    c = (await holder.post("/projects", json=submission(title="Épicerie coopérative"))).json()
    assert (await admin.post("/networks", json=network("n-late", needs=["funding"]))).status_code == 201
    assert (await instructor.post(f"/projects/{c['project_id']}/orientation")).json()["oriented_to"] == [
        "n-late"
    ]
    assert (await instructor.post(f"/projects/{c['project_id']}/orientation")).json()["oriented_to"] == []
    assert (await instructor.post(f"/projects/{b['project_id']}/orientation")).status_code == 409
    declined = await instructor.post(
        f"/projects/{c['project_id']}/orientations/n-late/decline", json={"reason": "no_capacity"}
    )
    assert declined.json()["answer"] == "declined"

    # As of a date: C waits past the 30-day delay, A was accepted, B is not eligible.
    report = (await admin.get("/orientation/unaccepted", params={"as_of": "2026-04-02"})).json()
    assert [p["project_id"] for p in report["projects"]] == [c["project_id"]]
    assert report["projects"][0]["days_waiting"] == 31 and report["delay_days"] == 30
    assert (await admin.get("/orientation/unaccepted", params={"as_of": "2026-03-20"})).json()[
        "projects"
    ] == []
    assert (
        await admin.get("/orientation/unaccepted", params={"as_of": "2026-04-02", "delay_days": 40})
    ).json()["projects"] == []

    # The end: withdrawn through the link, closed by an instructor; then the contact data's retention.
    assert (await link.post(c["follow_link"] + "/withdrawal", json={"reason": "funded_elsewhere"})).json()[
        "status"
    ] == "withdrawn"
    assert (await link.post(c["follow_link"] + "/withdrawal", json={"reason": "other"})).status_code == 409
    assert (
        await instructor.post(
            f"/projects/{b['project_id']}/closure",
            json={"reason": "duplicate", "duplicate_of": b["project_id"]},
        )
    ).status_code == 422
    assert (
        await instructor.post(f"/projects/{b['project_id']}/closure", json={"reason": "ineligible"})
    ).json()["status"] == "closed"
    assert (await admin.get("/projects/no-such-project/history")).status_code == 404
    history = (await admin.get(f"/projects/{a['project_id']}/history")).json()
    assert [h["type"] for h in history] == [
        "project_submitted",
        "project_qualified",
        "project_oriented",
        "project_correction_requested",
        "project_corrected",
        "project_qualified",
        "project_orientation_accepted",
    ]
    assert history[4]["payload"]["answers_request"] == asked.json()["request_id"]
    await _erasure(svc, admin, [b["project_id"], c["project_id"]], a["project_id"])


async def _erasure(svc: IntakeService, admin: Any, ended: list[str], still_open: str) -> None:
    before = await _outbox_rows(svc)
    svc.clock.today = D0 + timedelta(days=365)  # the harness's retention period
    assert (await admin.post("/erasure/contacts")).json()["erased"] == []
    svc.clock.today = D0 + timedelta(days=366)
    assert (await admin.post("/erasure/contacts")).json()["erased"] == sorted(ended)
    assert (await admin.post("/erasure/contacts")).json()["erased"] == []
    erased = (await admin.get(f"/projects/{ended[0]}")).json()["contact"]
    assert erased == {"name": None, "email": None, "phone": None, "erased_on": svc.clock.today.isoformat()}
    assert (await admin.get(f"/projects/{still_open}")).json()["contact"][
        "email"
    ] == "camille.durand@example.org"
    assert await _outbox_rows(svc) == before  # the journal is untouched: no event, no change


async def _outbox_rows(svc: IntakeService) -> list[Any]:
    query = select(outbox.c.event_id, outbox.c.data).where(outbox.c.aggregate.in_(["project", "network"]))
    async with svc.runtime.engine.connect() as conn:
        return list((await conn.execute(query.order_by(outbox.c.position))).all())


SECRETS = {
    "contact name": "Camille Durand-Tessier",
    "contact email": "camille.durand@example.org",
    "phone as typed": "06 12 34 56 78",
    "phone": "0612345678",
    "new email": "nouvelle.adresse@example.net",
    "description": "cantine solidaire",
    "corrected description": "Une description détaillée, secrète",
    "a person's trading name": "Jeanne Martin maraîchage",
    "budget label": "Salaires de l'animatrice",
    "file name": "statuts-scic.pdf",
    "docx file name": "budget prévisionnel Fabrique",
    "pdf bytes": PDF.decode(),
    "pdf base64": b64(PDF),
    "docx bytes": "a zip container standing in",
    "docx base64": b64(DOCX),
    "instructor's remark": "Merci de joindre le budget",
    "network account": "compte-reseau-44",
}


async def test_no_event_carries_contact_description_names_or_file_bytes(running: Running) -> None:
    svc, js = running
    admin = svc.client()
    assert (await admin.post("/networks", json=network("n44", account="compte-reseau-44"))).status_code == 201
    via_network = await svc.client(("network",), subject="compte-reseau-44").post(
        "/projects", json=submission()
    )
    assert via_network.status_code == 201, via_network.text
    pid, link = via_network.json()["project_id"], via_network.json()["follow_link"]
    ask = {
        "fields": ["attachments"],
        "reasons": ["missing_attachment"],
        "remark": "Merci de joindre le budget",
    }
    assert (await admin.post(f"/projects/{pid}/correction-requests", json=ask)).status_code == 200
    fixed = correction_of(submission(), add_attachments=[DOCX_FILE])
    fixed["contact"]["email"] = "nouvelle.adresse@example.net"
    fixed["project"]["description"] = "Une description détaillée, secrète"
    assert (await svc.client(token=False).put(link + "/dossier", json=fixed)).status_code == 200
    other = with_value(submission(title="Autre projet"), "organisation.siret", OTHER_SIRET)
    assert (await svc.client(("holder",)).post("/projects", json=other)).status_code == 201
    # a holder of form 'other' may be a sole trader, whose trading name is a person's: it stays here
    person = with_value(submission(title="Maraîchage", siret=None), "organisation.legal_form", "other")
    person = with_value(person, "organisation.name", SECRETS["a person's trading name"])
    assert (await svc.client(("holder",)).post("/projects", json=person)).status_code == 201
    await svc.published()

    messages = await stream_messages(js)
    assert len(messages) >= 8
    for subject, data, headers in messages:
        text = subject + data.decode() + str(headers)
        for what, secret in SECRETS.items():
            assert secret not in text, f"{what} found on the stream in {subject}"
    # a legal person's registered name is public company data: open data on subsidies names it
    assert any("La Fabrique Commune" in data.decode() for _, data, _ in messages)
    stored = (await admin.get(f"/projects/{pid}")).json()
    assert stored["contact"]["email"] == "nouvelle.adresse@example.net"  # it stays in intake
    assert stored["via_network"] == "n44" and stored["channel"] == "network"
