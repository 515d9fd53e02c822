"""Staff choose their notices (issue 23, items 1, 2 and 4), through the funding services' HTTP APIs on a
real nats-server, with a real SMTP server (aiosmtpd): an instructor who chose each change of the
committee agenda gets one e-mail per change, with a one-click unsubscribe link that works; a decider who
chose the daily digest gets one e-mail for the day's changes, none of them twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from ess_core.notify.digest import DigestJob
from ess_funding.service_layer import agenda_notices
from tests.integration.test_funding_services import LINES, K, project, request
from tests.support.funding_services import Funders, funding_services
from tests.support.natsfixtures import NatsEndpoint, provisioned_stream
from tests.support.smtp_sink import Inbox, smtp_sink

pytestmark = pytest.mark.asyncio(loop_scope="module")

INSTRUCTOR, DECIDER = "alice.martin@dreets.example", "bruno.leroy@dreets.example"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def told(
    backend_nats: tuple[str, NatsEndpoint], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Funders, Inbox]]:
    backend, server = backend_nats
    with smtp_sink() as (inbox, smtp):
        async with provisioned_stream(server.url) as (_, js):
            folder = tmp_path_factory.mktemp(f"notices-{backend}")
            async with funding_services(folder, server.url, js, backend, smtp=smtp) as trio:
                yield trio, inbox


async def test_staff_choose_agenda_notices_and_unsubscribe_in_one_click(told: tuple[Funders, Inbox]) -> None:
    funders, inbox = told
    state = funders["state"]
    refused = await state.http.put(
        "/notices/preferences", json={"email": INSTRUCTOR, "choices": {"x": "each"}}
    )
    assert refused.status_code == 422 and "body.choices.x" in refused.text
    chosen = await state.http.put(
        "/notices/preferences", json={"email": INSTRUCTOR, "choices": {"agenda_changed": "each"}}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["choices"] == [
        {
            "kind": "agenda_changed",
            "label": "L'ordre du jour du comité des financeurs a changé",
            "mode": "each",
        }
    ]

    pid = await on_the_agenda(funders)
    mail = await mail_to(inbox, INSTRUCTOR, 1)
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"].startswith("Comité des financeurs : l'ordre du jour compte")
    assert pid in text and "État (DREETS, DRAJES)" in text and "Banque des Territoires" in text
    link = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    path = urlsplit(link)
    tampered = await state.http.post(f"{path.path}?{path.query[:-2]}00", headers={"Authorization": ""})
    assert tampered.status_code == 404 and "pas valide" in tampered.text
    page = await state.http.get(f"{path.path}?{path.query}", headers={"Authorization": ""})
    assert page.status_code == 200 and "Se désinscrire" in page.text  # a GET only asks to confirm
    done = await state.http.post(f"{path.path}?{path.query}", headers={"Authorization": ""})
    assert done.status_code == 200 and "vous ne recevrez plus" in done.text
    assert (await state.http.get("/notices/preferences")).json()["choices"][0]["mode"] == "off"

    await on_the_agenda(funders)  # another change: nothing for them now
    await asyncio.sleep(1.0)
    assert len([m for m in inbox.messages if m["To"] == INSTRUCTOR]) == 1


async def test_a_daily_digest_gathers_the_days_notices_once(told: tuple[Funders, Inbox]) -> None:
    funders, inbox = told
    bdt = funders["bdt"]
    second = {"Authorization": f"Bearer {bdt.tokens['bdt-second']}"}  # another person: a decider
    chosen = await bdt.http.put(
        "/notices/preferences",
        json={"email": DECIDER, "choices": {"agenda_changed": "daily"}},
        headers=second,
    )
    assert chosen.status_code == 200, chosen.text
    for _ in range(2):
        await on_the_agenda(funders)
    await asyncio.sleep(1.0)
    assert [m for m in inbox.messages if m["To"] == DECIDER] == []  # held for the digest

    runtime = bdt.runtime
    assert runtime.notices is not None
    job = DigestJob(
        runtime.engine, runtime.notices, "bdt", runtime.settings.notice_digest_at, runtime.transaction
    )
    tomorrow = datetime.now(UTC).replace(hour=8) + timedelta(days=1)
    assert await job.digest_due(tomorrow) == 1
    assert await job.digest_due(tomorrow) == 0  # none twice
    digest = await mail_to(inbox, DECIDER, 1)
    assert digest["Subject"].startswith("Votre récapitulatif du ")
    assert digest.get_body(("plain",)).get_content().count("Comité des financeurs : l'ordre du jour") >= 2


async def on_the_agenda(funders: Funders) -> str:
    """A new project waiting for two funders: the committee agenda changes, and each pilot's watcher
    looks at once (rather than at its next round, every 10 s)."""
    pid = project()
    await funders.submit(pid, LINES)
    await funders.plans(pid)
    for pilot in ("state", "bdt"):
        await funders[pilot].ok(pid, "requests", request(f"r-{pilot}", 10 * K))
    await funders.plans(pid, lambda p: len(p["facts"]["requests"]) == 2)
    for funder in funders.by_pilot.values():
        await agenda_notices.tell_if_changed(funder.runtime, None)
    return pid


async def mail_to(inbox: Inbox, address: str, count: int, limit: float = 20.0) -> EmailMessage:
    """The `count`-th message to `address`, once it came (the agenda watcher looks every 10 s)."""
    deadline = time.monotonic() + limit
    while len(found := inbox.to(address)) < count:
        assert time.monotonic() < deadline, f"{len(found)} message(s) to {address}"
        await asyncio.sleep(0.1)
    return found[count - 1]
