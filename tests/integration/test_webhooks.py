"""Signed outbound webhooks (issue 23, item 3), against a real nats-server, the intake service and a real
HTTP receiver: each delivery is signed over a timestamp and the body and verifies with the webhook's
secret; a receiver answering 500 sees retries with growing delays, then the delivery is delivered; one
that never recovers leaves it dead after `max_attempts`; a replay from a stream sequence delivers again
exactly the chosen events from there, and the delivery log shows it all to operators."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ess_core.webhooks.signature import HEADER, verify
from tests.support.arrivals import arriving
from tests.support.intake_data import submission
from tests.support.intake_service import IntakeService, intake_service
from tests.support.webhook_receiver import Receiver, webhook_receiver

SECRET = b"a-partner-secret-of-at-least-thirty-two-bytes"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
async def running(
    tmp_path: Path, nats_url: str, js_stream: Any, receiver: Receiver
) -> AsyncIterator[IntakeService]:
    (tmp_path / "compta.key").write_bytes(SECRET)
    hooks = [
        {
            "name": "compta",
            "url": receiver.url,
            "events": ["project_submitted"],
            "secret_file": str(tmp_path / "compta.key"),
            "max_attempts": 4,
            "first_retry_s": 0.2,
        }
    ]
    (tmp_path / "webhooks.json").write_text(json.dumps(hooks))
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with intake_service(
        url, tmp_path, nats_url, start=True, webhooks_file=tmp_path / "webhooks.json"
    ) as svc:
        yield svc


async def test_deliveries_are_signed_retried_with_backoff_and_replayed_from_a_sequence(
    running: IntakeService, receiver: Receiver
) -> None:
    holder = running.client(("holder",))
    receiver.script = [500, 500, 500]  # down for a while, then back
    first = (await holder.post("/projects", json=submission(title="Épicerie du bocage"))).json()
    tries = await arriving(receiver.deliveries, 4)
    gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.3 and gaps[2] >= 0.6, gaps  # 0.2 s doubling, jitter >= 3/4
    for delivery in tries:
        assert verify(SECRET, delivery.body, delivery.headers[HEADER])
        assert not verify(b"another secret of thirty-two bytes!!", delivery.body, delivery.headers[HEADER])
    event = tries[-1].json()["event"]
    assert event["payload"]["type"] == "project_submitted" and event["aggregate_id"] == first["project_id"]
    assert tries[-1].headers["ESS-Event-Type"] == "project_submitted"
    assert {d.headers["ESS-Delivery"] for d in tries} == {f"compta:0:{event['id']}"}  # one delivery, retried

    second = (await holder.post("/projects", json=submission(title="Recyclerie du bocage"))).json()
    await arriving(receiver.deliveries, 5)
    log = await running.client(("operator",)).get("/webhooks/deliveries")
    assert log.status_code == 200 and log.json()["counts"] == {"delivered": 2}
    attempts = sorted(item["attempts"] for item in log.json()["items"])
    assert attempts == [1, 4]

    # A replay from the second submission's sequence delivers it (and it alone) again, a new generation.
    seq = receiver.deliveries[-1].json()["stream_sequence"]
    replay = await running.client(("admin",)).post("/webhooks/replay", json={"from_sequence": seq})
    assert replay.status_code == 202 and replay.json()["generation"] == 1
    again = (await arriving(receiver.deliveries, 6))[-1]
    assert again.json()["event"]["aggregate_id"] == second["project_id"]
    assert again.headers["ESS-Delivery"].startswith("compta:1:")
    await asyncio.sleep(1.0)
    assert len(receiver.deliveries) == 6  # nothing else: the project_qualified events were not chosen


async def test_a_receiver_that_never_recovers_leaves_the_delivery_dead(
    running: IntakeService, receiver: Receiver
) -> None:
    receiver.script = [500] * 10
    await running.client(("holder",)).post("/projects", json=submission())
    await arriving(receiver.deliveries, 4)
    operator = running.client(("operator",))
    deadline = time.monotonic() + 10
    while (log := (await operator.get("/webhooks/deliveries?state=dead")).json())["counts"].get("dead") != 1:
        assert time.monotonic() < deadline, log
        await asyncio.sleep(0.1)
    [dead] = log["items"]
    assert (dead["attempts"], dead["last_status"], dead["last_error"]) == (4, 500, "HTTP 500")
    await asyncio.sleep(1.0)
    assert len(receiver.deliveries) == 4
    assert (await running.client(("instructor",)).get("/webhooks/deliveries")).status_code == 403
