"""What `ess up` hands each service process: none of the shell's ESS_* variables (a stale database URL
or trust file would point a service elsewhere), except that service's own settings, which a person may
tune locally (a retention period, a link's lifetime)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ess_ops.topology import StateDir


def test_a_service_gets_its_own_settings_and_no_other_ess_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESS_DATABASE_URL", "postgresql://elsewhere/prod")
    monkeypatch.setenv("ESS_INTAKE_CONTACT_RETENTION_DAYS", "30")
    monkeypatch.setenv("ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS", "10")
    state = StateDir(tmp_path)
    intake = state.service_env("region", "intake", "nats://127.0.0.1:4222", tmp_path / "auth.pub")
    funding = state.service_env("region", "funding", "nats://127.0.0.1:4222", tmp_path / "auth.pub")
    assert intake["ESS_INTAKE_CONTACT_RETENTION_DAYS"] == "30"
    assert "ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS" not in intake
    assert funding["ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS"] == "10"
    assert "ESS_INTAKE_CONTACT_RETENTION_DAYS" not in funding
    assert (
        intake["ESS_DATABASE_URL"].startswith("sqlite+aiosqlite:///")
        and "prod" not in intake["ESS_DATABASE_URL"]
    )
