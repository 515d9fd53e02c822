"""Intake tells people what waits for them, by e-mail, in French (issue 23): the holder's contact when a
correction is asked and when a funder decides on the file, each network a project is oriented to. Against
a real nats-server and a real SMTP server (aiosmtpd): the right recipient, the right sender, text and
HTML, once each; an erasure forgets the project's notices."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlalchemy import func, select

from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.signing import Signer
from ess_core.messaging.schema import notice
from ess_core.notify.notices import message_id
from tests.support.arrivals import arriving
from tests.support.funding_story import decision
from tests.support.intake_data import CONTACT, network, submission
from tests.support.intake_service import IntakeService, intake_service
from tests.support.smtp_sink import SENDER, Inbox, smtp_sink

PUBLIC = "https://depot.paysdelaloire.example"
NETWORK_EMAIL = "accueil@reseau-44.example"


@pytest.fixture
def sink() -> Iterator[tuple[Inbox, Any]]:
    with smtp_sink() as pair:
        yield pair


@pytest.fixture
async def running(
    tmp_path: Path, nats_url: str, js_stream: Any, sink: tuple[Inbox, Any]
) -> AsyncIterator[IntakeService]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with intake_service(url, tmp_path, nats_url, start=True, smtp=sink[1], public_url=PUBLIC) as svc:
        yield svc


async def test_the_holder_is_told_of_a_correction_request_once_in_french(
    running: IntakeService, sink: tuple[Inbox, Any]
) -> None:
    inbox, _ = sink
    answer = (await running.client(("holder",)).post("/projects", json=submission())).json()
    project_id = answer["project_id"]
    body = {"fields": ["budget", "attachments"], "reasons": ["missing_attachment"], "answer_by": "2026-03-20"}
    asked = await running.client(("instructor",)).post(
        f"/projects/{project_id}/correction-requests", json=body
    )
    assert asked.status_code == 200, asked.text

    [mail] = await arriving(inbox.messages, 1)
    assert (mail["To"], mail["From"]) == (CONTACT["email"], SENDER)
    assert mail["Subject"] == "Votre projet « Tiers-lieu de la Loire » : des corrections sont demandées"
    assert mail["Message-ID"] == message_id(f"correction_requested:{asked.json()['request_id']}", "region")
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "- le budget\n- les pièces jointes" in text and "une pièce jointe manque" in text
    assert "avant le 20 mars 2026" in text and PUBLIC + answer["follow_link"] in text
    html = mail.get_body(("html",)).get_content()
    assert f'<a href="{PUBLIC}{answer["follow_link"]}">' in html and 'lang="fr"' in html
    await asyncio.sleep(1.5)  # another round of the sender: nothing more
    assert len(inbox.messages) == 1
    metrics = (await running.client(("operator",)).get("/metrics")).text
    assert 'ess_notices{pilot="region",service="intake",state="sent"} 1.0' in metrics


async def test_a_network_with_an_address_is_told_of_a_project_oriented_to_it(
    running: IntakeService, sink: tuple[Inbox, Any]
) -> None:
    inbox, _ = sink
    admin = running.client()
    assert (await admin.post("/networks", json=network("n44", email=NETWORK_EMAIL))).status_code == 201
    assert (await admin.post("/networks", json=network("n49"))).status_code == 201  # no address: no mail
    answer = (await running.client(("holder",)).post("/projects", json=submission())).json()
    assert sorted(answer["oriented_to"]) == ["n44", "n49"]
    [mail] = await arriving(inbox.messages, 1)
    assert mail["To"] == NETWORK_EMAIL
    assert mail["Subject"] == "Nouveau projet orienté vers Réseau n44 : « Tiers-lieu de la Loire »"
    assert "département 44" in mail.get_body(("plain",)).get_content()


async def test_a_funders_decision_reaching_the_view_is_told_to_the_holder(
    running: IntakeService, sink: tuple[Inbox, Any], js_stream: tuple[Any, JetStreamContext], tmp_path: Path
) -> None:
    inbox, _ = sink
    project_id = (await running.client(("holder",)).post("/projects", json=submission())).json()["project_id"]
    state = Signer((tmp_path / "keys" / "state.seed").read_text())
    payload = decision("d1", 12_500_00, date(2026, 3, 1))
    event = new_event(payload, pilot="state", service="funding", aggregate_id=project_id, sequence=1)
    wire = encode(event, state)
    await js_stream[1].publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)

    [mail] = await arriving(inbox.messages, 1)
    assert mail["To"] == CONTACT["email"]
    assert mail["Subject"] == "Votre projet « Tiers-lieu de la Loire » : décision de État (DREETS, DRAJES)"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "le 1er mars 2026" in text and "aide accordée, pour un montant de 12\u202f500,00 €" in text


async def test_an_erasure_forgets_the_projects_notices(
    running: IntakeService, sink: tuple[Inbox, Any]
) -> None:
    inbox, _ = sink
    project_id = (await running.client(("holder",)).post("/projects", json=submission())).json()["project_id"]
    body = {"fields": ["budget"], "reasons": ["budget_inconsistent"]}
    await running.client(("instructor",)).post(f"/projects/{project_id}/correction-requests", json=body)
    await arriving(inbox.messages, 1)
    erased = await running.client(("admin",)).post("/privacy/erasure", json={"subject": CONTACT["email"]})
    assert erased.status_code == 200, erased.text
    async with running.runtime.engine.connect() as conn:
        left = await conn.scalar(select(func.count()).where(notice.c.project_id == project_id))
    assert left == 0


async def test_a_pilots_own_templates_replace_the_services_and_a_broken_one_fails_alone(
    tmp_path: Path, nats_url: str, js_stream: Any, sink: tuple[Inbox, Any]
) -> None:
    inbox, smtp = sink
    own = tmp_path / "templates"
    own.mkdir()
    (own / "project_oriented.subject.txt").write_text("Région : un projet pour {{ network }}")
    (own / "correction_requested.txt").write_text("{{ no_such_value }}")  # cannot render
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with intake_service(url, tmp_path, nats_url, start=True, smtp=smtp, templates_dir=own) as svc:
        assert (
            await svc.client().post("/networks", json=network("n44", email=NETWORK_EMAIL))
        ).status_code == 201
        project_id = (await svc.client(("holder",)).post("/projects", json=submission())).json()["project_id"]
        body = {"fields": ["budget"], "reasons": ["budget_inconsistent"]}
        await svc.client(("instructor",)).post(f"/projects/{project_id}/correction-requests", json=body)
        [mail] = await arriving(inbox.messages, 1)
        assert mail["To"] == NETWORK_EMAIL and mail["Subject"] == "Région : un projet pour Réseau n44"
        deadline, metrics = time.monotonic() + 15, ""
        while 'state="failed"} 1.0' not in metrics:
            assert time.monotonic() < deadline, metrics
            metrics = (await svc.client(("operator",)).get("/metrics")).text
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # the failed one is not tried again
        assert len(inbox.messages) == 1
