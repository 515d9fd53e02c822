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

import httpx
import pytest

from tests.support.intake_data import submission
from tests.support.system import ESS, REPO, RunningSystem, running_system

pytestmark = pytest.mark.system

K = 1_000_00  # a thousand euros, in cents
SIREN = "732829320"
SHARES = {"state": (40 * K, "2026-04-02"), "bdt": (25 * K, "2026-04-03"), "region": (20 * K, "2026-04-04")}


def created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201, 202), answer.text
    return dict(answer.json())


def submit(system: RunningSystem, title: str) -> str:
    with system.client("region", "intake") as intake:
        return str(created(intake.post("/projects", json=submission(title=title)))["project_id"])


def wait_for_plan(system: RunningSystem, pilot: str, pid: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    with system.client(pilot, "funding") as funding:
        while funding.get(f"/projects/{pid}/plan").status_code != 200:
            assert time.monotonic() < deadline, f"{pilot} never saw project {pid}"
            time.sleep(0.1)


def fund(system: RunningSystem, pilot: str, pid: str) -> None:
    cents, on = SHARES[pilot]
    wait_for_plan(system, pilot, pid)
    with system.client(pilot, "funding") as funding:
        acts = [
            (
                "requests",
                {"request_id": "r1", "requested_on": "2026-03-20", "instrument": "grant", "amount": cents},
            ),
            (
                "decisions",
                {
                    "decision_id": "d1",
                    "request_id": "r1",
                    "decided_on": on,
                    "outcome": "granted",
                    "instrument": "grant",
                    "nominal_amount": cents,
                    "gross_grant_equivalent": cents,
                    "state_aid_basis": "de_minimis_general",
                    "legal_right_on": on,
                    "beneficiary_siren": SIREN,
                },
            ),
            (
                "commitments",
                {
                    "commitment_id": "c1",
                    "decision_id": "d1",
                    "committed_on": on,
                    "reference": f"EJ-{pilot}",
                    "amount": cents,
                },
            ),
        ]
        for kind, body in acts:
            created(funding.post(f"/projects/{pid}/{kind}", json=body))


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
            wait_for_plan(system, "region", pid)
            with system.client("region", "funding") as region:
                created(
                    region.post(
                        f"/projects/{pid}/opinions",
                        json={
                            "opinion_id": "op1",
                            "given_on": "2026-03-15",
                            "outcome": "favourable",
                            "eligible_total": 120_000_50,
                            "eligible_lines": [
                                {"code": line, "category": category, "eligible_amount": amount}
                                for line, category, amount in _lines(system, pid)
                            ],
                            "self_financing": 10 * K,
                            "in_kind": 5 * K,
                        },
                    )
                )
        with ThreadPoolExecutor(3) as pool:  # the three funders act at the same moment
            list(pool.map(lambda args: fund(system, *args), [(p, pid) for pid in projects for p in SHARES]))

        report = settled_digests(system)
        assert report["code"] == 0 and report["agree"] and report["disagreeing"] == [], report
        assert len({s["view_digest"] for s in report["services"]}) == 1
        assert (
            report["services"][0]["applied_events"] >= 1 + 3 * 2 + 3 + 9 * 3
        )  # probe, intake, opinions, acts


def _lines(system: RunningSystem, pid: str) -> list[tuple[str, str, int]]:
    """The budget lines as intake published them (codes are intake's), read from a funding plan."""
    with system.client("region", "funding") as funding:
        plan = funding.get(f"/projects/{pid}/plan").json()
    return [(line["code"], line["category"], line["amount"]) for line in plan["facts"]["budget"]]
