"""The default topology as seven processes; the three pilots act through their own services at once
(intake submissions, each funder's request, opinion, decision and commitment, follow-up reviews); every
service reaches the same digest, which `ess view digest` reads from the signed checkpoints."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.federation_story import SHARES, fund, give_opinion, submit
from tests.support.system import ESS, REPO, RunningSystem, running_system

pytestmark = pytest.mark.system


def settled_digests(system: RunningSystem, limit: float = 60) -> dict[str, Any]:
    """Ask every service for a checkpoint until all report the same position; the report then."""
    deadline = time.monotonic() + limit
    while True:
        subprocess.run(
            [str(ESS), "view", "checkpoint", "--state-dir", str(system.state_dir)],
            capture_output=True,
            timeout=60,
            cwd=REPO,
            check=True,
        )
        done = subprocess.run(
            [str(ESS), "view", "digest", "--json", "--state-dir", str(system.state_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        report = dict(json.loads(done.stdout or "{}"))
        positions = {(s["stream_sequence"], s["applied_events"]) for s in report.get("services", [])}
        if len(report.get("services", [])) == 7 and len(positions) == 1:
            return {"code": done.returncode, **report}
        assert time.monotonic() < deadline, f"services did not settle: {report}"
        time.sleep(0.5)


def test_three_pilots_acting_at_once_reach_one_digest(tmp_path: Path) -> None:
    with running_system(tmp_path / "ess") as system:
        projects = [submit(system, f"Projet coopératif {n}") for n in range(3)]
        for pid in projects:
            give_opinion(system, pid)
        with ThreadPoolExecutor(3) as pool:  # the three funders act at the same moment
            list(pool.map(lambda args: fund(system, *args), [(p, pid) for pid in projects for p in SHARES]))

        report = settled_digests(system)
        assert report["code"] == 0 and report["agree"] and report["disagreeing"] == [], report
        assert len({s["view_digest"] for s in report["services"]}) == 1
        assert (
            report["services"][0]["applied_events"] >= 1 + 3 * 2 + 3 + 9 * 3
        )  # probe, intake, opinions, acts
