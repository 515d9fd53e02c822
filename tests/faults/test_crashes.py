"""SIGKILL of a service at the three points where a crash could lose or repeat something: between its
database commit and the publish, between the broker's PubAck and the relay's mark, and between a view
commit and the ack. Real processes on loopback, per-pilot NATS identities, every wait bounded."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.support.deployment import Deployment, deployment
from tests.support.faults_checks import FUNDERS, check, commit_acts, settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]


def wait_fired(system: Deployment, name: str, flag: str, limit: float = 20.0) -> None:
    """Until the armed service killed itself at the point named by `flag`."""
    assert system.fault_dir is not None
    fired = system.fault_dir / f"{name}.{flag}.fired"
    pilot, service = name.split("-")
    deadline = time.monotonic() + limit
    while not fired.exists():
        assert time.monotonic() < deadline, f"{name} did not reach {flag}"
        time.sleep(0.05)
    child = system.children.pop((pilot, service))
    child.proc.wait(10)
    assert child.proc.returncode == -9, child.describe_exit("at the fault")


def short_ack_wait(system: Deployment) -> None:
    """A service killed with a fetched batch in hand gets it again after the consumer's ack wait (30 s
    by default): 2 s here, so the case takes seconds."""
    for name in FUNDERS:
        system.extra_env.setdefault(name, {})["ESS_FAULT_ACK_WAIT"] = "2"


def arm(system: Deployment, name: str, flag: str) -> Path:
    assert system.fault_dir is not None
    path = system.fault_dir / f"{name}.{flag}"
    path.touch()
    return path


async def stream_copies(system: Deployment, subject: str) -> int:
    from tests.support.faults_identities import connected

    async with connected(system.nats.url, system.identities, "operator") as op:
        info = await op.js.stream_info("ESS", subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


def test_sigkill_between_commit_and_publish_and_between_publish_and_mark(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True, fault_hooks=True) as system:
        short_ack_wait(system)
        system.start_all(FUNDERS)
        asyncio.run(commit_acts(system, "state", "funding", "region-p1", 3))

        started = time.monotonic()
        flag = arm(system, "bdt-funding", "kill-before-publish")
        asyncio.run(commit_acts(system, "bdt", "funding", "region-p2", 5))
        wait_fired(system, "bdt-funding", "kill-before-publish")
        # committed while it is down
        asyncio.run(commit_acts(system, "bdt", "funding", "region-p2", 2, first=5))
        flag.unlink()
        system.start("bdt", "funding")
        verdict = settle(
            system,
            FUNDERS,
            "SIGKILL between the database commit and the publish",
            "7 acts committed, none on the stream; restarted, the relay published them",
            started=started,
        )
        check(verdict)
        assert asyncio.run(stream_copies(system, "ess.bdt.funding.project.>")) == 7

        started = time.monotonic()
        flag = arm(system, "bdt-funding", "kill-after-publish")
        asyncio.run(commit_acts(system, "bdt", "funding", "region-p3", 4))
        wait_fired(system, "bdt-funding", "kill-after-publish")
        flag.unlink()
        system.start("bdt", "funding")
        verdict = settle(
            system,
            FUNDERS,
            "SIGKILL between the PubAck and the relay's mark",
            "restarted, the relay published the 4 unmarked rows again: the broker answered duplicate",
            started=started,
        )
        check(verdict)
        assert asyncio.run(stream_copies(system, "ess.bdt.funding.project.region-p3.>")) == 4  # stored once


def test_sigkill_between_view_commit_and_ack(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True, fault_hooks=True) as system:
        short_ack_wait(system)
        system.start_all(FUNDERS)
        started = time.monotonic()
        flag = arm(system, "state-funding", "kill-before-ack")
        asyncio.run(commit_acts(system, "region", "funding", "region-p1", 6))
        wait_fired(system, "state-funding", "kill-before-ack")
        flag.unlink()
        asyncio.run(commit_acts(system, "region", "funding", "region-p1", 3, first=6))
        system.start("state", "funding")
        verdict = settle(
            system,
            FUNDERS,
            "SIGKILL between the view commit and the ack",
            "the committed batch came again after the ack wait: every event skipped by its id",
            started=started,
        )
        check(verdict)
