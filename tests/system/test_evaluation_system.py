"""Evaluation in the default topology (`ess up`: seven processes, one nats-server): the example strategy
loaded with `ess strategy load --demo`, projects and funding acts on the stream, measures by the pilots
that lead their action, the three evaluation services agreeing to the byte, and `ess report` reading the
running system's state dir."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import nats
import pytest

from ess_contracts.codec import encode
from ess_contracts.signing import Signer
from tests.support.evaluation_report import check_report_dir, csv_rows
from tests.support.evaluation_scenario import story
from tests.support.harness import publish
from tests.support.system import ESS, RunningSystem, running_system

pytestmark = pytest.mark.system

PILOTS = ("region", "state", "bdt")


def ess(*args: str) -> str:
    done = subprocess.run([str(ESS), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _login(system: RunningSystem, identity: str) -> dict[str, Any]:
    """How `identity` logs in to the broker: its own NATS user where `ess up` made per-pilot users."""
    seed = system.state_dir / "keys" / f"{identity}.nats.seed"
    if not seed.exists():
        return {}
    from ess_core.security.client import connect_options

    return connect_options(identity, seed)


async def _publish_story(system: RunningSystem) -> None:
    """Each pilot publishes its own events (as its intake and funding services would), signed and logged
    in as itself."""
    signers = {p: Signer((system.state_dir / "keys" / f"{p}.seed").read_text().strip()) for p in PILOTS}
    events = story().events
    for pilot in PILOTS:
        nc = await nats.connect(system.nats_url, **_login(system, pilot))
        try:
            await publish(nc.jetstream(), [encode(e, signers[p]) for p, e in events if p == pilot])
        finally:
            await nc.close()


async def _last_seq(system: RunningSystem) -> int:
    nc = await nats.connect(system.nats_url, **_login(system, "operator"))
    try:
        return int((await nc.jetstream().stream_info("ESS")).state.last_seq)
    finally:
        await nc.close()


def _settled_digests(system: RunningSystem, limit: float = 30.0) -> dict[str, str]:
    """Each evaluation service's view digest once none has anything left to publish or apply."""
    deadline = time.monotonic() + limit
    while True:
        last = asyncio.run(_last_seq(system))
        statuses = {}
        for pilot in PILOTS:
            with system.client(pilot, "evaluation") as api:
                statuses[pilot] = api.get("/status").json()
        if all(s["outbox_backlog"] == 0 and s["applied_position"] >= last for s in statuses.values()):
            digests = {}
            for pilot in PILOTS:
                with system.client(pilot, "evaluation") as api:
                    digests[pilot] = api.get("/evaluation/digest").json()["digest"]
            return digests
        assert time.monotonic() < deadline, f"evaluation services did not settle at {last}: {statuses}"
        time.sleep(0.2)


def _checkpoints_carry_the_evaluation_digest(system: RunningSystem, expected: str) -> None:
    """The signed checkpoints let any operator compare the evaluation views too (`ess view digest`)."""
    state_dir = str(system.state_dir)
    ess("view", "checkpoint", "--state-dir", state_dir)
    deadline = time.monotonic() + 30
    while True:  # the new checkpoints reach the stream through each service's relay
        report = json.loads(ess("view", "digest", "--json", "--state-dir", state_dir))
        own = {s["service"]: s["own_view_digest"] for s in report["services"]}
        if {own.get(f"{pilot}-evaluation") for pilot in PILOTS} == {expected}:
            break
        assert time.monotonic() < deadline, own
        time.sleep(0.3)
    assert own["region-intake"] is None and report["agree"], report


def test_demo_strategy_measures_report_and_three_identical_views(tmp_path: Path) -> None:
    with running_system(tmp_path / "ess") as system:
        state_dir = str(system.state_dir)
        assert "16 definitions published" in ess("strategy", "load", "--demo", "--state-dir", state_dir)
        asyncio.run(_publish_story(system))
        _settled_digests(system)  # the definitions are in every pilot's view
        measure = {"period_start": "2025-01-01", "period_end": "2025-12-31", "value": 82, "source": "survey"}
        with system.client("state", "evaluation") as api:  # EX-A4 is led by the State
            assert api.post("/indicators/EX-I09/measures", json=measure).status_code == 202
        with system.client("bdt", "evaluation") as api:
            refused = api.post("/indicators/EX-I09/measures", json=measure)
            assert refused.status_code == 403
            assert refused.json()["detail"]["lead_pilots"] == ["state"]
        digests = _settled_digests(system)
        assert len(set(digests.values())) == 1, digests
        _checkpoints_carry_the_evaluation_digest(system, next(iter(digests.values())))
        out = tmp_path / "report"
        ess("report", "--year", "2025", "--out", str(out), "--state-dir", state_dir, "--pilot", "bdt")
    check_report_dir(out)
    rows = {r["indicator"]: r for r in csv_rows(out, "indicators.csv")}
    assert (rows["EX-I09"]["actual"], rows["EX-I09"]["status"]) == ("82", "reached")  # target 75
    assert {r["figure"]: r["value"] for r in csv_rows(out, "summary.csv")}["funded"] == "3"
