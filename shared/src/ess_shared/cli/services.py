"""The service processes `ess up` supervises: start, health, stop (SIGTERM, wait, SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ess_shared.runtime.natsserver import HOST

STOP_GRACE_SECONDS = 10.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def http_ok(base_url: str, timeout: float = 0.5) -> bool:
    """Whether ``base_url``/healthz answers 200."""
    try:
        with _OPENER.open(f"{base_url}/healthz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


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

    def describe_exit(self, when: str) -> str:
        last = self.last_log_line()
        tail = f"; last log line: {last}" if last else ""
        return f"{self.name} exited {when} with code {self.exited()} (log {self.log_path}){tail}"

    def last_log_line(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1].strip() if lines else ""


def spawn(
    pilot: str, service: str, port: int, database_url: str, log_path: Path, env: Mapping[str, str]
) -> Child:
    """Start `ess_<service>` under the parent-watch guard (see child.py) with exactly ``env``, in its own
    session: a terminal's Ctrl-C reaches `ess up` only, which then stops the children itself."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    log.write(f"--- ess up: starting {pilot}-{service} on {HOST}:{port} ---\n".encode())
    log.flush()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ess_shared.cli.child", f"ess_{service}"],
        env=dict(env),
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Child(pilot, service, port, database_url, log_path, proc, log)


def wait_healthy(
    children: Sequence[Child], timeout: float, stopping: Callable[[], bool]
) -> tuple[list[Child], list[Child]]:
    """Poll every /healthz until all answer; returns (exited, not yet healthy) as soon as one exits,
    stop is asked for, or the time is up. Both empty: all healthy."""
    pending = list(children)
    deadline = time.monotonic() + timeout
    while pending and not stopping():
        exited = [c for c in children if c.exited() is not None]
        if exited:
            return exited, pending
        pending = [c for c in pending if not c.healthy()]
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
