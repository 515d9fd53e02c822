"""`ess up` as a person runs it: seven service processes, a probe each applies, Ctrl-C, no orphan.

The time from `ess up` to the probe applied everywhere is printed; it fails the test only when
ESS_PROBE_BUDGET_S sets a budget (a shared 2-core CI machine running two suites at once takes 15-20 s, a
quiet one 10). Speed is measured in bench/, not here. Every wait is bounded; whatever the test started is
stopped in teardown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.system

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]
SERVICES = 7
PROBE_BUDGET_S = float(os.environ["ESS_PROBE_BUDGET_S"]) if os.environ.get("ESS_PROBE_BUDGET_S") else None
WAIT_LIMIT_S = max(60.0, (PROBE_BUDGET_S or 0) * 2)  # give up on the probe after this
STOP_LIMIT_S = 15.0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie is gone for our purpose
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def ess_status(state: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [str(ESS), "status", "--json", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )
    return done.returncode, json.loads(done.stdout or "{}")


def all_applied(report: dict[str, Any]) -> bool:
    services = report.get("services") or []
    return len(services) == SERVICES and all(s["probe_applied"] for s in services)


@pytest.fixture
def ess_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    state, output = tmp_path / "ess", tmp_path / "ess-up.out"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            [str(ESS), "up", "--state-dir", str(state)], stdout=out, stderr=subprocess.STDOUT, cwd=REPO
        )
    pids: list[int] = []
    try:
        yield proc, state, output
    finally:
        run_file = state / "run.json"
        if run_file.exists():
            info = json.loads(run_file.read_text())
            pids = [s["pid"] for s in info["services"]] + [info["nats"]["pid"]]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_LIMIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in pids:  # only what this run started, and only if the test failed to stop it
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_up_applies_probe_everywhere_and_ctrl_c_leaves_nothing(
    ess_up: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    proc, state, output = ess_up
    started = time.monotonic()
    deadline = started + WAIT_LIMIT_S
    while not (state / "run.json").exists():  # cheap wait: run.json is written once all are healthy
        assert proc.poll() is None, f"ess up exited with {proc.returncode}:\n{output.read_text()}"
        assert time.monotonic() < deadline, f"no run.json after {WAIT_LIMIT_S} s:\n{output.read_text()}"
        time.sleep(0.1)
    healthy_after = time.monotonic() - started
    info = json.loads((state / "run.json").read_text())
    code, report = ess_status(state)
    while not all_applied(report):
        assert proc.poll() is None, f"ess up exited with {proc.returncode}:\n{output.read_text()}"
        assert time.monotonic() < deadline, f"probe not applied everywhere: {json.dumps(report, indent=1)}"
        time.sleep(0.2)
        code, report = ess_status(state)
    applied_after = time.monotonic() - started
    print(f"\nall {SERVICES} healthy after {healthy_after:.1f} s; probe applied after {applied_after:.1f} s")

    assert code == 0, report["problems"]
    assert report["healthy"] and report["probe_id"] == info["probe_id"]
    assert report["broker"]["ok"] and report["stream"]["ok"] and report["stream"]["messages"] >= 1
    for service in report["services"]:
        assert service["probes"] == 1 and service["dead_letters"] == 0 and service["parked"] == 0, service
        assert service["lag"] == 0 and service["outbox_backlog"] == 0, service
    pairs = sorted((s["pilot"], s["service"]) for s in info["services"])
    assert pairs == sorted(
        [("region", "intake")]
        + [(p, s) for p in ("region", "state", "bdt") for s in ("funding", "evaluation")]
    )
    assert sorted(info["consoles"]) == ["bdt", "region", "state"]  # each pilot's console, signing in locally
    sign_in = httpx.get(f"{info['consoles']['state']}/connexion", timeout=10)
    assert sign_in.status_code == 200 and "État (DREETS, DRAJES) — décision" in sign_in.text
    for pilot in ("region", "state", "bdt"):
        token = state / "tokens" / f"{pilot}-decider.jwt"
        assert (
            token.stat().st_mode & 0o077 == 0
            and (state / "keys" / f"{pilot}.seed").stat().st_mode & 0o077 == 0
        )

    pids = [s["pid"] for s in info["services"]] + [info["nats"]["pid"]]
    assert all(alive(pid) for pid in pids)
    proc.send_signal(signal.SIGINT)
    stopping = time.monotonic()
    proc.wait(STOP_LIMIT_S)
    print(f"ess up stopped {time.monotonic() - stopping:.1f} s after SIGINT")
    for line in output.read_text().splitlines():
        if "did not stop" in line:  # SIGKILL after the grace period: no orphan, but not a clean stop
            print(line)
    assert proc.returncode == 0, output.read_text()
    assert [pid for pid in pids if alive(pid)] == []
    assert not (state / "run.json").exists()
    if PROBE_BUDGET_S is not None:
        assert applied_after <= PROBE_BUDGET_S, f"probe applied everywhere after {applied_after:.1f} s"


def test_up_refuses_a_taken_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(ESS), "up", "--state-dir", str(tmp_path / "ess"), "--nats-port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "ess" / "run.json").exists()


def test_up_names_a_service_that_exits_at_start_with_the_end_of_its_log(tmp_path: Path) -> None:
    state = tmp_path / "ess"
    (state / "data" / "bdt-evaluation.db").mkdir(parents=True)  # a folder where its SQLite file goes
    done = subprocess.run(
        [str(ESS), "up", "--state-dir", str(state)], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stderr
    assert "bdt-evaluation exited before it was healthy" in said, said
    log_end = (state / "logs" / "bdt-evaluation.log").read_text().strip().splitlines()[-1].strip()
    assert log_end and log_end in said, said  # the cause, from the child's own log
    assert not (state / "run.json").exists()
