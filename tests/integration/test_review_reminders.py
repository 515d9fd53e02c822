"""The review scheduler (issue 23): as of a day it chooses, state's evaluation service publishes, once,
that its follow-up review of a project it funds is due, then overdue, as signed `project_review_due`
events (the as-of day is the scheduler's, never a fold's clock), and tells the staff who chose these
notices by e-mail. Against a real nats-server and a real SMTP server; the service runs in this process
so that the test can hand the scheduler the day."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
from nats.js import JetStreamContext
from sqlalchemy import func, select

from ess_contracts.codec import encode
from ess_contracts.evaluation import ProjectReviewDue
from ess_contracts.event import Event, new_event
from ess_contracts.signing import Signer
from ess_core.auth.tokens import LocalIssuer
from ess_core.notify.smtp import SmtpSettings
from ess_core.service.migrate import upgrade
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.settings import ServiceSettings
from ess_evaluation.adapters.tables import review_due
from ess_evaluation.bootstrap import service
from ess_evaluation.service_layer.review_reminders import remind
from tests.support.arrivals import arriving
from tests.support.evaluation_scenario import committed, decided
from tests.support.funding_services import submission
from tests.support.intake_service import _app, stop, stream_messages, write_keys
from tests.support.smtp_sink import smtp_sink

STAFF_EMAIL = "claire.dubois@dreets.example"
COMMITTED_ON = date(2026, 11, 20)  # the 12-month review falls due on 2027-11-20: after the real today
PROJECT = "region-0193b2c4-aaaa-7bbb-8ccc-000000000001"


async def test_reviews_due_then_overdue_are_published_once_and_told(
    tmp_path: Path, nats_url: str, js_stream: tuple[object, JetStreamContext]
) -> None:
    js = js_stream[1]
    with smtp_sink() as (inbox, smtp):
        async with state_evaluation(tmp_path, nats_url, smtp) as (runtime, api):
            chosen = await api.put(
                "/notices/preferences",
                json={"email": STAFF_EMAIL, "choices": {"review_due": "each", "review_overdue": "each"}},
            )
            assert chosen.status_code == 200, chosen.text
            await publish_funded_project(js, tmp_path)
            await folded(runtime)

            due_on = date(2027, 11, 20)
            assert await remind(runtime, due_on - timedelta(days=1)) == 0  # not yet due
            assert await remind(runtime, due_on) == 1  # due
            assert await remind(runtime, due_on + timedelta(days=30)) == 1  # overdue
            assert await remind(runtime, due_on + timedelta(days=60)) == 0  # once each

            mails = await arriving(inbox.messages, 2)
            assert [m["Subject"] for m in mails] == [
                f"Revue de suivi à 12 mois du projet {PROJECT} : arrive à échéance",
                f"Revue de suivi à 12 mois du projet {PROJECT} : est en retard",
            ]
            assert "le 20 novembre 2027" in mails[0].get_body(("plain",)).get_content()
            reminders = await published_reminders(js)
            assert [(pilot, r.stage, r.as_of) for pilot, r in reminders] == [
                ("state", "due", due_on),
                ("state", "overdue", due_on + timedelta(days=30)),
            ]


async def publish_funded_project(js: JetStreamContext, tmp_path: Path) -> None:
    """Region's submission, then state's decision and commitment: a project state funds."""
    keys = tmp_path / "keys"
    acts = [
        ("region", "intake", 1, submission({"staff": 10_000_00})),
        ("state", "funding", 1, decided("d1", COMMITTED_ON, "grant", 10_000_00)),
        ("state", "funding", 2, committed("c1", "d1", COMMITTED_ON, 10_000_00)),
    ]
    for pilot, kind, sequence, payload in acts:
        event = new_event(payload, pilot=pilot, service=kind, aggregate_id=PROJECT, sequence=sequence)
        wire = encode(event, Signer((keys / f"{pilot}.seed").read_text()))
        await js.publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)


async def folded(runtime: ServiceRuntime, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        async with runtime.engine.connect() as conn:
            if await conn.scalar(select(func.count()).select_from(review_due)) == 3:
                return
        assert time.monotonic() < deadline, "the review dates were not derived"
        await asyncio.sleep(0.1)


async def published_reminders(js: JetStreamContext) -> list[tuple[str, ProjectReviewDue]]:
    """Each reminder on the stream, with the pilot that signed it."""
    subject = "ess.state.evaluation.project.*.project_review_due"
    events = [Event.model_validate_json(data) for _, data, _ in await stream_messages(js, subject)]
    return [(e.pilot, e.payload) for e in events if isinstance(e.payload, ProjectReviewDue)]


@asynccontextmanager
async def state_evaluation(
    tmp_path: Path, nats_url: str, smtp: SmtpSettings
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    """State's evaluation service in this process, with its HTTP API for one staff person."""
    seed, trust = write_keys(tmp_path / "keys")
    settings = ServiceSettings(
        pilot="state",
        service="evaluation",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}",
        nats_url=nats_url,
        signing_seed_file=seed.with_name("state.seed"),
        trust_file=trust,
        checkpoint_seconds=3600,
        smtp=smtp,
        public_url="https://state-evaluation.example",
    )
    await upgrade(settings.database_url, service)
    runtime = service.runtime(settings)
    issuer = LocalIssuer.generate()
    app = _app(service, runtime, issuer, tmp_path)
    before = set(asyncio.all_tasks())
    await runtime.start()
    token = issuer.mint("state-reviewer", "state", ("instructor",))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://state-evaluation", headers=headers
        ) as api:
            yield runtime, api
    finally:
        await stop(runtime, before=before)
