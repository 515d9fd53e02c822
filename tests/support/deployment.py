"""A deployment of chosen services as separate processes, each startable, stoppable and killable on
its own: for tests where one pilot's service goes away while the others go on (independence, faults).

It reuses what `ess up` uses (keys, trust file, tokens, the child launcher), with a nats-server whose
stream may take a short duplicate window so "longer than the window" fits in a test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from ess_shared.cli import keys
from ess_shared.cli.services import Child, spawn, stop_all
from ess_shared.cli.topology import STAFF_ROLES, StateDir
from ess_shared.contracts.signing import Signer
from ess_shared.contracts.types import PILOTS, Pilot
from ess_shared.runtime.natsserver import NatsServer, free_port
from ess_shared.runtime.provision import default_stream_config_path, load_stream_config, provision

Name = tuple[str, str]  # (pilot, service)


@dataclass
class Deployment:
    state: StateDir
    nats: NatsServer
    signers: dict[Pilot, Signer]
    auth_key: Path
    ports: dict[Name, int] = field(default_factory=dict)
    children: dict[Name, Child] = field(default_factory=dict)

    def start(self, pilot: str, service: str, wait: float = 60.0) -> Child:
        name = (pilot, service)
        port = self.ports.setdefault(name, free_port())
        env = self.state.service_env(pilot, service, self.nats.url, port, self.auth_key)
        env["ESS_CHECKPOINT_SECONDS"] = "1"
        child = spawn(pilot, service, port, env["ESS_DATABASE_URL"], self.state.log(pilot, service), env)
        self.children[name] = child
        deadline = time.monotonic() + wait
        while not child.healthy():
            assert child.exited() is None, child.describe_exit("at start")
            assert time.monotonic() < deadline, f"{child.name} not healthy after {wait} s"
            time.sleep(0.1)
        return child

    def stop(self, pilot: str, service: str, sig: signal.Signals = signal.SIGTERM) -> None:
        child = self.children.pop((pilot, service))
        if sig == signal.SIGKILL:
            child.proc.kill()
            child.proc.wait()
        stop_all([child])

    def database_url(self, pilot: str, service: str) -> str:
        return f"sqlite+aiosqlite:///{self.state.database(pilot, service)}"

    def client(self, pilot: str, service: str) -> httpx.Client:
        token = self.state.token(pilot).read_text().strip()
        child = self.children[(pilot, service)]
        return httpx.Client(base_url=child.http_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def digest(self, pilot: str, service: str) -> dict[str, object]:
        with self.client(pilot, service) as client:
            answer = client.get("/view/digest")
            answer.raise_for_status()
            return dict(answer.json())

    def wait_applied(self, names: Sequence[Name], events: int, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        for pilot, service in names:
            while int(self.digest(pilot, service)["applied_events"]) < events:  # type: ignore[call-overload]
                assert time.monotonic() < deadline, f"{pilot}-{service} did not reach {events} events"
                time.sleep(0.2)


async def _provision(url: str, duplicate_window: float | None) -> None:
    config = load_stream_config(default_stream_config_path())
    if duplicate_window is not None:
        config = dataclasses.replace(config, duplicate_window=duplicate_window)
    nc = await nats.connect(url)
    try:
        await provision(nc.jetstream(), config)
    finally:
        await nc.close()


@contextmanager
def deployment(root: Path, duplicate_window: float | None = None) -> Iterator[Deployment]:
    state = StateDir(root)
    for folder in (state.data, state.logs, state.nats):
        folder.mkdir(parents=True, exist_ok=True)
    server = NatsServer(state.nats, own_session=True)
    server.start()
    try:
        asyncio.run(_provision(server.url, duplicate_window))
        signers = {pilot: keys.ensure_seed(state.seed(pilot)) for pilot in PILOTS}
        keys.ensure_trust(state.trust_file, {p: s.public_key for p, s in signers.items()})
        issuer, public_key = keys.ensure_issuer(state.auth)
        keys.mint_tokens(issuer, STAFF_ROLES, state.tokens)
        running = Deployment(state, server, signers, public_key)
        try:
            yield running
        finally:
            stop_all(list(running.children.values()))
    finally:
        server.close()
