"""`ess webhooks log` and `ess webhooks replay` against region's intake as a process, its webhook posting
to a real HTTP receiver: the operator reads the log, the admin replays from the stream's start and the
receiver gets the submission again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.arrivals import arrived
from tests.support.deployment import deployment
from tests.support.intake_data import submission
from tests.support.webhook_receiver import webhook_receiver

pytestmark = [pytest.mark.system, pytest.mark.timeout(120)]

ESS = Path(sys.executable).parent / "ess"
INTAKE = ("region", "intake")


def test_the_operator_reads_the_log_and_the_admin_replays(tmp_path: Path) -> None:
    (tmp_path / "grants.key").write_bytes(b"g" * 40)
    with webhook_receiver() as receiver, deployment(tmp_path / "ess", secure=True) as system:
        hooks = [
            {
                "name": "grants",
                "url": receiver.url,
                "events": ["project_submitted"],
                "secret_file": str(tmp_path / "grants.key"),
            }
        ]
        (tmp_path / "webhooks.json").write_text(json.dumps(hooks))
        system.extra_env[INTAKE] = {"ESS_INTAKE_WEBHOOKS_FILE": str(tmp_path / "webhooks.json")}
        system.start(*INTAKE)
        with system.client(*INTAKE) as intake:
            assert intake.post("/projects", json=submission()).status_code == 201
        arrived(receiver.deliveries, 1)
        url = ["--url", system.children[INTAKE].http_url]
        operator, admin = system.state.token("region-operator"), system.state.token("region-admin")
        log = ess("webhooks", "log", *url, "--token", str(operator))
        assert log.returncode == 0 and "deliveries 1 delivered" in log.stdout, log.stderr
        assert "grants seq 1 project_submitted delivered after 1 attempt(s)" in log.stdout
        refused = ess("webhooks", "replay", "--from", "1", *url, "--token", str(operator))
        assert refused.returncode == 1 and "403" in refused.stderr
        replayed = ess("webhooks", "replay", "--from", "1", *url, "--token", str(admin))
        assert replayed.returncode == 0 and "generation 1" in replayed.stdout, replayed.stderr
        again = arrived(receiver.deliveries, 2)[-1]
        assert again.headers["ESS-Delivery"].startswith("grants:1:")


def ess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ESS), *args], capture_output=True, text=True, timeout=60)
