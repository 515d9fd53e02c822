"""A federation's generated node configs, run with the real nats-server binary on loopback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from ess_contracts.types import PILOTS, Pilot
from ess_core.security.client import connect_options
from ess_ops.deploy.files import DevFederation, dev_federation, render_config
from ess_ops.deploy.natsconf import NodePaths
from ess_ops.deploy.settings import Node
from ess_ops.nats.natsserver import HeldPort, find_nats_server

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def loopback_nodes(stack: ExitStack) -> dict[Pilot, Node]:
    """Each node's three ports, held (HeldPort) until ``stack`` closes: through a node's stop and start."""

    def held() -> int:
        return stack.enter_context(HeldPort()).port

    return {
        pilot: Node(host="127.0.0.1", client_port=held(), cluster_port=held(), monitor_port=held())
        for pilot in PILOTS
    }


def loopback_paths(made: DevFederation, pilot: Pilot) -> NodePaths:
    folder = made.folder(pilot)
    return NodePaths(
        store_dir=str(folder.root / "store"),
        ca_file=str(folder.config / "ca.pem"),
        cert_file=str(folder.tls / "node.pem"),
        key_file=str(folder.tls / "node-key.pem"),
        listen_host="127.0.0.1",
    )


@dataclass
class LoopbackFederation:
    made: DevFederation
    processes: dict[Pilot, subprocess.Popen[bytes]]

    def node(self, pilot: Pilot) -> Node:
        return self.made.federation.nodes[pilot]

    def monitor(self, pilot: Pilot, path: str) -> Any:
        with _OPENER.open(f"http://127.0.0.1:{self.node(pilot).monitor_port}{path}", timeout=2) as answer:
            return json.loads(answer.read())

    def peers(self, pilot: Pilot) -> set[str]:
        """The other nodes this one has routes to (a route pool opens several connections per peer)."""
        return {route["remote_name"] for route in self.monitor(pilot, "/routez").get("routes") or []}

    def start(self, pilot: Pilot) -> None:
        conf = self.made.folder(pilot).config / "nats.conf"
        log = (self.made.folder(pilot).root / "nats.log").open("ab")
        self.processes[pilot] = subprocess.Popen(
            [str(find_nats_server()), "-c", str(conf)], stdout=log, stderr=log
        )

    def stop(self, pilot: Pilot) -> None:
        process = self.processes.pop(pilot)
        process.terminate()
        process.wait(10)

    def wait_ready(self, limit: float = 20.0) -> None:
        """Every running node routes to all the others and answers /healthz (in a cluster: JetStream
        has a meta leader and this node is current)."""
        deadline = time.monotonic() + limit
        for pilot in self.processes:
            while True:
                assert self.processes[pilot].poll() is None, f"{pilot}'s node exited: see its nats.log"
                try:
                    if len(self.peers(pilot)) >= len(self.processes) - 1 and self.monitor(pilot, "/healthz"):
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (
                    f"{pilot}'s node not ready with its routes after {limit} s"
                )
                time.sleep(0.1)

    def client_url(self, pilot: Pilot | None = None) -> str:
        if pilot is None:
            return ",".join(f"tls://127.0.0.1:{n.client_port}" for n in self.made.federation.nodes.values())
        return f"tls://127.0.0.1:{self.node(pilot).client_port}"

    @asynccontextmanager
    async def connect(
        self, identity: str, seed: Path | None, url: str | None = None
    ) -> AsyncIterator[Client]:
        errors: list[Exception] = []

        async def record(error: Exception) -> None:
            errors.append(error)

        options = connect_options(identity, seed, self.made.ca_file)
        async with asyncio.timeout(15):
            nc = await nats.connect(
                (url or self.client_url()).split(","),
                allow_reconnect=False,
                max_reconnect_attempts=1,
                connect_timeout=3,
                error_cb=record,
                **options,
            )
        nc.errors = errors  # type: ignore[attr-defined]
        try:
            yield nc
        finally:
            await nc.close()


@contextmanager
def loopback_federation(root: Path) -> Iterator[LoopbackFederation]:
    with ExitStack() as ports:
        made = dev_federation(root, loopback_nodes(ports))
        for pilot in made.federation.nodes:
            render_config(made.federation, pilot, made.folder(pilot), loopback_paths(made, pilot))
        yield from _running(made)


def _running(made: DevFederation) -> Iterator[LoopbackFederation]:
    running = LoopbackFederation(made, {})
    try:
        for pilot in made.federation.nodes:
            running.start(pilot)
        running.wait_ready()
        yield running
    finally:
        for process in running.processes.values():
            process.kill()
            process.wait()
