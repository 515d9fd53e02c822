"""Checkpoints on the stream let any operator compare every pilot's services: `ess view digest` says
they agree, names the one whose database was changed behind its back, and a rebuild brings it back."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ess_contracts.signing import Signer
from tests.support import events as ev
from tests.support.faults_identities import Identities, publish_as_pilots
from tests.support.system import ESS, REPO, RunningSystem, running_system

pytestmark = pytest.mark.system


def ess(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESS), *args, "--state-dir", str(state)], capture_output=True, text=True, timeout=60, cwd=REPO
    )


def digest_report(
    system: RunningSystem, want_services: int = 7, limit: float = 30
) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + limit
    while True:
        done = ess("view", "digest", "--json", state=system.state_dir)
        report = json.loads(done.stdout or "{}")
        if len(report.get("services", [])) >= want_services or time.monotonic() > deadline:
            return done.returncode, report
        time.sleep(0.3)


def checkpoint_now(system: RunningSystem, name: str, limit: float = 30) -> dict[str, Any]:
    """Ask `name` for a checkpoint and return the digest report once that checkpoint is on the stream."""
    _, before = digest_report(system)
    seen = {s["service"]: s["checkpoint_seq"] for s in before["services"]}
    assert ess("view", "checkpoint", name, state=system.state_dir).returncode == 0
    deadline = time.monotonic() + limit
    while True:
        code, report = digest_report(system)
        latest = {s["service"]: s["checkpoint_seq"] for s in report["services"]}
        if latest.get(name, 0) > seen.get(name, 0):
            return {"code": code, **report}
        assert time.monotonic() < deadline, f"no new checkpoint from {name}"
        time.sleep(0.2)


def wait_applied(system: RunningSystem, events: int, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    for service in system.info.services:
        with system.client(service.pilot, service.service) as client:
            while client.get("/view/digest").json()["applied_events"] < events:
                assert time.monotonic() < deadline, f"{service.name} did not apply {events} events"
                time.sleep(0.2)


async def publish_story(system: RunningSystem) -> int:
    signers = {
        p: Signer((system.state_dir / "keys" / f"{p}.seed").read_text().strip())
        for p in ("region", "state", "bdt")
    }
    story = [e for n in range(3) for e in ev.project_story(f"region-p{n}")]
    identities = Identities.make(system.state_dir / "keys")  # each pilot publishes as its own NATS user
    messages = [(p, ev.wire(signers, p, e)) for p, e in story]  # type: ignore[arg-type]
    return await publish_as_pilots(system.nats_url, identities, messages)


def test_digest_agrees_names_a_tampered_service_and_rebuild_repairs_it(tmp_path: Path) -> None:
    with running_system(tmp_path / "ess") as system:
        asyncio.run(publish_story(system))
        wait_applied(system, events=16)  # the probe and 15 events of three pilots
        assert ess("view", "checkpoint", state=system.state_dir).returncode == 0
        code, report = digest_report(system)
        assert code == 0 and report["agree"], report
        assert len({s["view_digest"] for s in report["services"]}) == 1
        assert {s["applied_events"] for s in report["services"]} == {16}

        victim = system.service("bdt", "evaluation")
        database = victim.database_url.split("///", 1)[1]
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE view_project SET title_box = 'changedbehinditsback' WHERE project_id = 'region-p1'"
            )
        report = checkpoint_now(system, "bdt-evaluation")
        assert report["code"] == 1 and report["disagreeing"] == ["bdt-evaluation"], report

        rebuilt = ess("view", "rebuild", "bdt-evaluation", state=system.state_dir)
        assert rebuilt.returncode == 0 and "same digest" not in rebuilt.stdout, (
            rebuilt.stdout + rebuilt.stderr
        )
        report = checkpoint_now(system, "bdt-evaluation")
        assert report["code"] == 0 and report["disagreeing"] == [], report

        recomputed = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.tools.digest_from_stream",
                "--server",
                system.nats_url,
                "--trust",
                system.info.trust_file,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            check=True,
        ).stdout.strip()
        assert {s["view_digest"] for s in report["services"]} == {recomputed}

        # An auditor's check, offline: the export reproduces every service's latest checkpoint.
        export = system.state_dir / "audit.jsonl"
        assert ess("export", "--out", str(export), state=system.state_dir).returncode == 0
        checked = subprocess.run(
            [str(ESS), "verify", str(export), "--trust", system.info.trust_file, "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
        verdict = json.loads(checked.stdout)
        assert checked.returncode == 0 and verdict["ok"] and verdict["digest"] == recomputed, verdict
        assert len(verdict["checkpoints"]) == 7 and all(c["agrees"] for c in verdict["checkpoints"])
