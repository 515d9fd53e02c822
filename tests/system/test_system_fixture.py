"""The system fixture every service's system tests use: it starts the topology and stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.system import running_system

pytestmark = pytest.mark.system


def test_every_service_answers_its_own_pilot_and_refuses_another(tmp_path: Path) -> None:
    with running_system(tmp_path / "ess") as system:
        assert len(system.info.services) == 7
        with system.client("state", "funding") as client:
            assert client.get("/status").status_code == 200
        with system.client("state", "funding", token_pilot="bdt") as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/status").status_code == 200  # operators may read any pilot's status
        with system.client("state", "funding") as client:
            client.headers["Authorization"] = "Bearer not-a-token"
            assert client.get("/status").status_code == 401
