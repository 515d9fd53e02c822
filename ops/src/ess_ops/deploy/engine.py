"""Which container engine to use, and podman's Docker-compatible API service when Docker is absent.

Order: ``DOCKER_HOST`` when set, else the default Docker socket when it answers, else ``podman`` with its API
service started here on a private socket. Podman runs with a private ``containers.conf``
(deploy/images/containers.conf, its ulimits lowered to the shell's hard limits when these are lower).
"""

from __future__ import annotations

import ctypes
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DOCKER_SOCKET = Path("/var/run/docker.sock")
CONTAINERS_CONF = Path("deploy/images/containers.conf")  # relative to the repository root
_ULIMIT = re.compile(r'"(nofile|nproc)=(\d+):(\d+)"')
_LIMITS = {"nofile": resource.RLIMIT_NOFILE, "nproc": resource.RLIMIT_NPROC}


class NoContainerEngine(RuntimeError):
    """No engine answers; the message says what is missing."""


@dataclass(frozen=True)
class Engine:
    """A reachable engine: ``cli`` builds and inspects images, clients reach ``docker_host``."""

    cli: str  # "docker" or "podman"
    docker_host: str
    env: Mapping[str, str] = field(default_factory=dict)  # variables for the CLI and clients

    def run(self, *args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.cli, *args], env={**os.environ, **self.env}, check=check, capture_output=capture, text=True
        )


def answers(docker_host: str, timeout: float = 2.0) -> bool:
    """Whether a Docker-compatible API answers ``GET /_ping`` at ``docker_host`` (unix:// or tcp://)."""
    conn: http.client.HTTPConnection
    if docker_host.startswith("unix://"):
        conn = _UnixHTTPConnection(docker_host.removeprefix("unix://"), timeout)
    elif docker_host.startswith(("tcp://", "http://")):
        conn = http.client.HTTPConnection(docker_host.split("://", 1)[1], timeout=timeout)
    else:
        return False
    try:
        conn.request("GET", "/_ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def podman_conf(template: Path, dest: Path) -> Path:
    """``template`` written to ``dest``, each ulimit lowered to this process's hard limit if that is lower."""

    def clamp(match: re.Match[str]) -> str:
        name, soft, hard = match.group(1), int(match.group(2)), int(match.group(3))
        limit = resource.getrlimit(_LIMITS[name])[1]
        if limit != resource.RLIM_INFINITY:
            soft, hard = min(soft, limit), min(hard, limit)
        return f'"{name}={soft}:{hard}"'

    dest.write_text(_ULIMIT.sub(clamp, template.read_text()))
    return dest


def podman_env(repo_root: Path, work_dir: Path) -> dict[str, str]:
    """The variables podman needs here: ``CONTAINERS_CONF`` pointing at a private, clamped copy."""
    return {"CONTAINERS_CONF": str(podman_conf(repo_root / CONTAINERS_CONF, work_dir / "containers.conf"))}


def default_cli() -> str:
    """The command that builds images here: ``docker`` when a Docker engine answers, else ``podman``."""
    host = os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_DOCKER_SOCKET}"
    if shutil.which("docker") and answers(host):
        return "docker"
    return "podman" if shutil.which("podman") else "docker"


@contextmanager
def podman_service(work_dir: Path, env: Mapping[str, str], ready_timeout: float = 15.0) -> Iterator[str]:
    """``podman system service`` on ``work_dir/podman.sock`` for the duration; yields its DOCKER_HOST.

    The service dies with this process (parent-death signal) and is stopped by its PID at the end.
    """
    docker_host = f"unix://{work_dir / 'podman.sock'}"
    log = (work_dir / "podman-service.log").open("wb")
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", docker_host],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C for the tests must not stop it before they clean up
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + ready_timeout
        while not answers(docker_host, timeout=1.0):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (work_dir / "podman-service.log").read_text(errors="replace")[-2000:]
                raise NoContainerEngine(f"podman system service did not answer on {docker_host}: {tail}")
            time.sleep(0.05)
        yield docker_host
    finally:
        _stop(proc)
        log.close()


@contextmanager
def container_engine(repo_root: Path) -> Iterator[Engine]:
    """The engine to use (see the module doc); raises NoContainerEngine with the reason when there is none."""
    docker_cli = "docker" if shutil.which("docker") else "podman"
    if host := os.environ.get("DOCKER_HOST"):
        if not answers(host):
            raise NoContainerEngine(f"DOCKER_HOST={host} does not answer")
        yield Engine(cli=docker_cli, docker_host=host)
        return
    default = f"unix://{DEFAULT_DOCKER_SOCKET}"
    if DEFAULT_DOCKER_SOCKET.exists() and answers(default):
        yield Engine(cli=docker_cli, docker_host=default)
        return
    if not shutil.which("podman"):
        raise NoContainerEngine(
            f"DOCKER_HOST is not set, {DEFAULT_DOCKER_SOCKET} does not answer and podman is not on PATH"
        )
    with tempfile.TemporaryDirectory(prefix="ess-podman-") as tmp:
        env = podman_env(repo_root, Path(tmp))
        with podman_service(Path(tmp), env) as docker_host:
            yield Engine(
                cli="podman",
                docker_host=docker_host,
                env={
                    **env,
                    "DOCKER_HOST": docker_host,
                    "TESTCONTAINERS_RYUK_DISABLED": "true",  # the reaper image cannot be pulled
                    "TESTCONTAINERS_CONNECTION_MODE": "docker_host",  # /.dockerenv misleads testcontainers
                },
            )


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux prctl PR_SET_PDEATHSIG), so a killed
    test run leaves no API service behind."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
