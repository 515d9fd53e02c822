"""The service processes `ess up` supervises: start, health, stop (SIGTERM, wait, SIGKILL).

Each child inherits its listening socket: `spawn` binds it (port 0: the kernel picks a free port) before the
child starts and hands it down, so the port is held from the moment it is chosen and no other process can
take it in between. Health is a question of identity: the service on a child's port must say, in
`/status`, that it is that child's pilot and service.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ess_core.service.settings import HTTP_FD_ENV
from ess_ops.nats.natsserver import HOST

STOP_GRACE_SECONDS = 10.0
LOG_LINES_ON_EXIT = 8  # what a failed start shows of the child's log
SERVICE_MODULE = "ess_ops.cli.child"  # `python -m` it with `ess_<service>`: the parent-watch guard
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def http_ok(base_url: str, timeout: float = 0.5) -> bool:
    """Whether ``base_url``/healthz answers 200."""
    try:
        with _OPENER.open(f"{base_url}/healthz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def identity(base_url: str, token: str, timeout: float = 1.0) -> tuple[str, str] | None:
    """(pilot, service) as the service at ``base_url`` states them in /status; None until it answers."""
    request = urllib.request.Request(f"{base_url}/status", headers={"Authorization": f"Bearer {token}"})
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            status = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return str(status.get("pilot")), str(status.get("service"))


def listening_socket(port: int = 0) -> socket.socket:
    """A TCP socket listening on HOST:``port`` (0: any free port), inheritable by a child."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart takes its port back at once
        sock.bind((HOST, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


class NotThisService(RuntimeError):
    """Another process answers on a child's port; the message names both."""


@dataclass
class Child:
    pilot: str
    service: str
    port: int
    database_url: str
    log_path: Path
    proc: subprocess.Popen[bytes]
    log: IO[bytes] = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.pilot}-{self.service}"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def exited(self) -> int | None:
        return self.proc.poll()

    def healthy(self) -> bool:
        return http_ok(self.http_url)

    def serving(self, token: str) -> bool:
        """Whether this child's service answers /status as itself; raises NotThisService if another does."""
        answer = identity(self.http_url, token)
        if answer is None:
            return False
        if answer != (self.pilot, self.service):
            raise NotThisService(f"{self.http_url} answers as {'-'.join(answer)}, not as {self.name}")
        return True

    def describe_exit(self, when: str) -> str:
        last = self.last_log_lines()
        tail = "; last lines of its log:\n  " + "\n  ".join(last) if last else ""
        return f"{self.name} exited {when} with code {self.exited()} (log {self.log_path}){tail}"

    def last_log_lines(self, count: int = LOG_LINES_ON_EXIT) -> list[str]:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return []
        return [line.rstrip() for line in lines[-count:]]


def spawn(
    pilot: str,
    service: str,
    database_url: str,
    log_path: Path,
    env: Mapping[str, str],
    *,
    port: int = 0,
    module: str = SERVICE_MODULE,
    cwd: Path | None = None,
) -> Child:
    """Start `python -m <module> ess_<service>` with ``env`` and a listening socket on ``port`` (0: any free
    port), in its own session: a terminal's Ctrl-C reaches `ess up` only, which then stops the children
    itself. The child's port is taken here, before it starts (see the module doc)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with listening_socket(port) as sock:
        port = sock.getsockname()[1]
        log = log_path.open("ab")
        log.write(f"--- ess up: starting {pilot}-{service} on {HOST}:{port} ---\n".encode())
        log.flush()
        own = {"ESS_HTTP_HOST": HOST, "ESS_HTTP_PORT": str(port), HTTP_FD_ENV: str(sock.fileno())}
        proc = subprocess.Popen(
            [sys.executable, "-m", module, f"ess_{service}"],
            env={**env, **own},
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(sock.fileno(),),
        )
    return Child(pilot, service, port, database_url, log_path, proc, log)


def wait_healthy(
    children: Sequence[Child],
    timeout: float,
    stopping: Callable[[], bool],
    token_of: Callable[[Child], str] | None = None,
) -> tuple[list[Child], list[Child]]:
    """Poll every child until all answer: /status as themselves with ``token_of(child)`` (NotThisService
    when another process answers), else /healthz. Returns (exited, not yet healthy) as soon as one exits,
    stop is asked for, or the time is up. Both empty: all healthy."""

    def ready(child: Child) -> bool:
        return child.serving(token_of(child)) if token_of else child.healthy()

    pending = list(children)
    deadline = time.monotonic() + timeout
    while pending and not stopping():
        exited = [c for c in children if c.exited() is not None]
        if exited:
            return exited, pending
        pending = [c for c in pending if not ready(c)]
        if pending and time.monotonic() >= deadline:
            return [], pending
        if pending:
            time.sleep(0.1)
    return [], pending


def stop_all(children: Sequence[Child], grace: float = STOP_GRACE_SECONDS) -> list[Child]:
    """SIGTERM each child's process group, wait up to ``grace`` seconds in all, then SIGKILL; returns
    the children that had to be killed."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    killed: list[Child] = []
    for child in children:
        try:
            child.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.proc.wait()
            killed.append(child)
    for child in children:
        _signal_group(child, signal.SIGKILL)  # anything the service left in its group
        for stream in (child.proc.stdin, child.log):
            if stream is not None:
                stream.close()
    return killed


def _signal_group(child: Child, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.proc.pid, sig)
