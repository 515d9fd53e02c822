"""A deployment of chosen services as separate processes, each startable, stoppable and killable on
its own: for tests where one pilot's service goes away while the others go on (independence, faults).

It reuses what `ess up` uses (keys, trust file, tokens, the child launcher), with a nats-server whose
stream may take a short duplicate window so "longer than the window" fits in a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from nats.js.api import StreamConfig

from ess_contracts.codec import WireMessage
from ess_contracts.signing import Signer
from ess_contracts.types import PILOTS, Pilot
from ess_ops import keys
from ess_ops.cli.services import Child, spawn, stop_all
from ess_ops.nats.natsserver import HeldPort, NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from ess_ops.topology import STAFF_ROLES, StateDir
from tests.support.faults_identities import Identities, connected, publish_as_pilots
from tests.support.people import write_all_roles_tokens

Name = tuple[str, str]  # (pilot, service)
REPO = Path(__file__).resolve().parents[2]
FAULTS_CHILD = "tests.support.faults_child"  # a service with the test-only fault hooks (flag files)


@dataclass
class Deployment:
    state: StateDir
    nats: NatsServer
    signers: dict[Pilot, Signer]
    auth_key: Path
    identities: Identities | None = None  # per-pilot NATS users (secure=True), else an open broker
    ports: dict[Name, HeldPort] = field(default_factory=dict)  # a service's, held through its restarts
    children: dict[Name, Child] = field(default_factory=dict)
    extra_env: dict[Name, dict[str, str]] = field(default_factory=dict)
    fault_dir: Path | None = None  # set: services run with the test-only fault hooks (faults_child)
    nodes: list[NatsServer] = field(
        default_factory=list
    )  # a JetStream cluster: every node (nats is the first)

    @property
    def nats_url(self) -> str:
        """What services and tests connect to: every node of a cluster, comma-separated."""
        return ",".join(node.url for node in self.nodes) if self.nodes else self.nats.url

    def start(self, pilot: str, service: str, wait: float = 60.0) -> Child:
        child = self.launch(pilot, service)
        self.wait_healthy([child], wait)
        return child

    def start_all(self, names: Sequence[Name], wait: float = 60.0) -> list[Child]:
        """Start several services at once (their start-ups overlap) and wait until all answer."""
        children = [self.launch(pilot, service) for pilot, service in names]
        self.wait_healthy(children, wait)
        return children

    def env(self, pilot: str, service: str) -> dict[str, str]:
        name = (pilot, service)
        env = self.state.service_env(pilot, service, self.nats_url, self.auth_key)
        env["ESS_CHECKPOINT_SECONDS"] = "1"
        if self.identities is None:
            env.pop("ESS_NATS_SEED_FILE", None)
        if self.fault_dir is not None:
            env["ESS_FAULT_DIR"] = str(self.fault_dir)
        env.update(self.extra_env.get(name, {}))
        return env

    def launch(self, pilot: str, service: str) -> Child:
        """A restarted service takes its port back: clients keep their URLs."""
        env = self.env(pilot, service)
        port = self.port((pilot, service))
        log = self.state.log(pilot, service)
        if self.fault_dir is None:
            child = spawn(pilot, service, env["ESS_DATABASE_URL"], log, env, port=port)
        else:
            env["PYTHONPATH"] = str(REPO)
            child = spawn(
                pilot, service, env["ESS_DATABASE_URL"], log, env, port=port, module=FAULTS_CHILD, cwd=REPO
            )
        self.children[(pilot, service)] = child
        return child

    def port(self, name: Name) -> int:
        """The service's port, the same at every start, and given to no other process meanwhile."""
        return self.ports.setdefault(name, HeldPort()).port

    @staticmethod
    def wait_healthy(children: Sequence[Child], wait: float = 60.0) -> None:
        deadline = time.monotonic() + wait
        for child in children:
            while not child.healthy():
                assert child.exited() is None, child.describe_exit("at start")
                assert time.monotonic() < deadline, f"{child.name} not healthy after {wait} s"
                time.sleep(0.1)

    def stop(self, pilot: str, service: str, sig: signal.Signals = signal.SIGTERM) -> None:
        child = self.children.pop((pilot, service))
        if sig == signal.SIGKILL:
            child.proc.kill()
            child.proc.wait()
        stop_all([child])

    def kill(self, pilot: str, service: str) -> None:
        """SIGKILL the service's whole process group at once: no shutdown code runs."""
        child = self.children.pop((pilot, service))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.proc.pid, signal.SIGKILL)
        child.proc.wait()
        stop_all([child])

    async def publish(self, messages: Sequence[tuple[str, WireMessage]]) -> int:
        """Publish (pilot, message) pairs, each with its pilot's own NATS identity when secure."""
        return await publish_as_pilots(self.nats_url, self.identities, messages)

    def database_url(self, pilot: str, service: str) -> str:
        given = self.extra_env.get((pilot, service), {}).get("ESS_DATABASE_URL")
        return given or f"sqlite+aiosqlite:///{self.state.database(pilot, service)}"

    def client(self, pilot: str, service: str) -> httpx.Client:
        token = self.state.token(pilot).read_text().strip()
        child = self.children[(pilot, service)]
        return httpx.Client(base_url=child.http_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def ess(self, pilot: str, service: str, *args: str) -> subprocess.CompletedProcess[str]:
        """An `ess` command aimed at one service over HTTP, with its pilot's token (`ess republish`...)."""
        url = self.children[(pilot, service)].http_url
        return subprocess.run(
            [
                str(Path(sys.executable).parent / "ess"),
                *args,
                "--url",
                url,
                "--token",
                str(self.state.token(pilot)),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )

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


def stream_config(duplicate_window: float | None = None) -> StreamConfig:
    config = load_stream_config(default_stream_config_path())
    if duplicate_window is not None:
        config = dataclasses.replace(config, duplicate_window=duplicate_window)
    return config


async def provision_as_operator(url: str, identities: Identities | None, config: StreamConfig) -> None:
    """As the operator; a new cluster may still be electing its JetStream leader: try for 20 s."""
    deadline = time.monotonic() + 20.0
    while True:
        try:
            async with connected(url, identities, "operator") as operator:
                await provision(operator.nc.jetstream(timeout=2.0), config)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


@contextmanager
def deployment(
    root: Path,
    duplicate_window: float | None = None,
    *,
    secure: bool = False,
    extra_config: str = "",
    fault_hooks: bool = False,
    cluster: int = 1,
) -> Iterator[Deployment]:
    """`secure`: the broker's users are the pilots' and the operator's NATS keys, as under `ess up`."""
    state = StateDir(root)
    for folder in (state.data, state.logs, state.nats):
        folder.mkdir(parents=True, exist_ok=True)
    identities = Identities.make(state.keys) if secure else None
    authorization = identities.authorization() if identities else ""
    nodes = [
        NatsServer(
            state.nats / f"n{i}" if cluster > 1 else state.nats,
            own_session=True,
            server_name=f"ess-n{i}",
            extra_config=authorization + extra_config,
        )
        for i in range(cluster)
    ]
    held_routes = [HeldPort() for _ in nodes] if cluster > 1 else []
    if cluster > 1:
        routes = [held.port for held in held_routes]
        for node, port in zip(nodes, routes, strict=True):
            others = ", ".join(f"nats-route://127.0.0.1:{p}" for p in routes if p != port)
            node.extra_config += f"\ncluster {{ name: ess, listen: 127.0.0.1:{port}, routes: [{others}] }}\n"
    for node in nodes:
        node.start(ready_timeout=None)
    for node in nodes:
        node.wait_ready()
    server = nodes[0]
    try:
        config = stream_config(duplicate_window)
        if cluster > 1:
            config = dataclasses.replace(config, num_replicas=min(cluster, 3))
        url = ",".join(node.url for node in nodes)
        asyncio.run(provision_as_operator(url, identities, config))
        signers = {pilot: keys.ensure_seed(state.seed(pilot)) for pilot in PILOTS}
        encryption = {pilot: keys.ensure_encryption_key(state.encryption_key(pilot)) for pilot in PILOTS}
        keys.ensure_trust(state.trust_file, {p: s.public_key for p, s in signers.items()}, encryption)
        issuer, public_key = keys.ensure_issuer(state.auth)
        keys.mint_tokens(issuer, STAFF_ROLES, state.tokens)
        write_all_roles_tokens(state.auth, state.tokens)
        running = Deployment(state, server, signers, public_key, identities)
        running.nodes = nodes if cluster > 1 else []
        if fault_hooks:
            running.fault_dir = root / "faults"
            running.fault_dir.mkdir(parents=True, exist_ok=True)
        try:
            yield running
        finally:
            stop_all(list(running.children.values()))
            for held in running.ports.values():
                held.close()
    finally:
        for node in nodes:
            node.close()
        for held in held_routes:
            held.close()
