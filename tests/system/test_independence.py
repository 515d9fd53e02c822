"""Independence: a pilot's service stopped for a while does not disturb the others; restarted, it
publishes what it had committed, catches up, and every service agrees again."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nats
import pytest

from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.harness import publish

pytestmark = pytest.mark.system

FUNDERS = [("region", "funding"), ("state", "funding"), ("bdt", "funding")]
WINDOW = 2.0  # the stream's duplicate window in this test, in seconds


async def publish_projects(system: Deployment, first: int, count: int) -> int:
    story = [e for n in range(first, first + count) for e in ev.project_story(f"region-p{n}")]
    nc = await nats.connect(system.nats.url)
    try:
        return await publish(nc.jetstream(), [ev.wire(system.signers, p, e) for p, e in story])
    finally:
        await nc.close()


async def commit_without_publishing(system: Deployment) -> None:
    """Acts bdt's funding service committed just before it went down: in its outbox, not on the stream."""
    engine = make_engine(system.database_url("bdt", "funding"))
    async with engine.begin() as conn:
        box = Outbox("bdt", "funding", system.signers["bdt"])
        await box.record(conn, "region-p-bdt", [ev.decided("b1", 40_000_00), ev.decided("b2", 10_000_00)])
    await engine.dispose()


def test_a_stopped_service_catches_up_and_agrees(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", duplicate_window=WINDOW) as system:
        for pilot, service in FUNDERS:
            system.start(pilot, service)
        asyncio.run(publish_projects(system, 0, 3))
        system.wait_applied(FUNDERS, 15)

        system.stop("bdt", "funding")
        asyncio.run(commit_without_publishing(system))
        started = time.monotonic()
        asyncio.run(publish_projects(system, 3, 100))  # 500 more events while bdt is away
        system.wait_applied(FUNDERS[:2], 515)  # the others go on undisturbed
        time.sleep(max(0.0, WINDOW + 0.5 - (time.monotonic() - started)))  # longer than the window

        system.start("bdt", "funding")
        system.wait_applied(FUNDERS, 517)
        digests = {f"{p}-{s}": system.digest(p, s) for p, s in FUNDERS}
        assert {d["applied_events"] for d in digests.values()} == {517}, digests
        assert len({d["view_digest"] for d in digests.values()}) == 1, digests
