"""The default topology as separate processes (`ess up` in a subprocess), for system tests of every
service: where each service listens, its database, each pilot's token. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ess_ops.cli import runfile
from ess_ops.cli.runfile import RunInfo, ServiceInfo
from tests.support.people import all_roles_token

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSystem:
    state_dir: Path
    info: RunInfo
    process: subprocess.Popen[bytes]

    def service(self, pilot: str, service: str) -> ServiceInfo:
        return next(s for s in self.info.services if (s.pilot, s.service) == (pilot, service))

    def token(self, person: str) -> str:
        """A person of the run (`state-decider`), or a pilot's name for the tests' all-roles person."""
        if person in self.info.tokens:
            return Path(self.info.tokens[person]).read_text().strip()
        return all_roles_token(self.state_dir / "auth", person)

    def client(self, pilot: str, service: str, token_pilot: str | None = None) -> httpx.Client:
        """An HTTP client to one service, with a token of `token_pilot` (default: the same pilot)."""
        headers = {"Authorization": f"Bearer {self.token(token_pilot or pilot)}"}
        return httpx.Client(base_url=self.service(pilot, service).http_url, headers=headers, timeout=30)

    @property
    def nats_url(self) -> str:
        return self.info.nats.url


@contextmanager
def running_system(state_dir: Path, start_limit: float = 60.0) -> Iterator[RunningSystem]:
    """Start `ess up` and yield once run.json exists (every service healthy); stop it afterwards."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "ess-up.out").open("wb")
    process = subprocess.Popen(
        [str(ESS), "up", "--state-dir", str(state_dir)], stdout=log, stderr=subprocess.STDOUT, cwd=REPO
    )
    try:
        deadline = time.monotonic() + start_limit
        run_file = state_dir / "run.json"
        while not run_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ess up did not start: see {state_dir / 'ess-up.out'}")
            time.sleep(0.1)
        yield RunningSystem(state_dir, runfile.load(run_file), process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
