"""The federation scenario across containers: three pilots' compose stacks as committed (each its NATS
node, its PostgreSQL, its services), the node configs generated from one settings file, TLS and nkeys
everywhere. Bdt's node is stopped while the funders act and started again; at the end all seven services
hold the same view digest and every act of every pilot is in every copy of the project view."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from ess_contracts.types import PILOTS
from ess_ops.deploy.compose import services_of
from ess_ops.deploy.files import DevFederation, dev_federation, render_config
from ess_ops.deploy.settings import Node
from ess_ops.nats.connect import provision_as_operator
from ess_ops.nats.provision import default_stream_config_path
from ess_ops.topology import TOPOLOGY
from tests.support.compose_stack import stack_containers
from tests.support.federation_story import SHARES, fund, give_opinion, submit
from tests.support.people import all_roles_token

pytestmark = pytest.mark.containers

REPO = Path(__file__).resolve().parents[2]
PROJECTS = 3
ESS = str(Path(sys.executable).parent / "ess")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
POSTGRES_READY = LogMessageWaitStrategy("ready to accept connections").with_startup_timeout(60)


class ContainerFederation:
    def __init__(self, made: DevFederation, containers: dict[str, DockerContainer]) -> None:
        self.made = made
        self.containers = containers

    def port(self, name: str, container_port: int) -> int:
        return int(self.containers[name].get_exposed_port(container_port))

    def client(self, pilot: str, service: str, token_pilot: str | None = None) -> httpx.Client:
        token = all_roles_token(self.made.auth, token_pilot or pilot)
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port(f'{pilot}-{service}', 8080)}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def names(self) -> list[tuple[str, str]]:
        return list(TOPOLOGY)

    def digests(self) -> dict[str, tuple[str, int]]:
        figures = {}
        for pilot, service in self.names():
            with self.client(pilot, service) as client:
                answer = client.get("/view/digest").json()
            figures[f"{pilot}-{service}"] = (answer["view_digest"], answer["applied_events"])
        return figures


def wait_http(url: str, limit: float, what: str, container: DockerContainer) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with _OPENER.open(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            logs = container.get_wrapped_container().logs(tail=20).decode(errors="replace")
            raise AssertionError(f"{what} not ready after {limit} s; last logs:\n{logs}")
        time.sleep(0.25)


def prepare(root: Path) -> DevFederation:
    """Every pilot's folder as `ess deploy` lays it out, beside the committed compose files."""
    made = dev_federation(root, {pilot: Node(host=f"{pilot}-nats") for pilot in PILOTS})
    shutil.copytree(REPO / "deploy" / "postgres-initdb", root / "postgres-initdb")
    for pilot in PILOTS:
        render_config(made.federation, pilot, made.folder(pilot))
        shutil.copy(REPO / "deploy" / pilot / "compose.yaml", made.folder(pilot).root / "compose.yaml")
    # The images run as unprivileged users: dev_federation gave each its secrets (hand_to_images), 0600.
    assert all(stat.S_IMODE(made.folder(p).signing_seed.stat().st_mode) == 0o600 for p in PILOTS)
    return made


@pytest.fixture
def federation(tmp_path: Path, images: Any) -> Iterator[ContainerFederation]:
    made = prepare(tmp_path / "federation")
    variables = {
        "ESS_NATS_IMAGE": images.nats,
        "ESS_POSTGRES_IMAGE": images.postgres,
        "ESS_SERVICES_IMAGE": images.services,
    }
    quiet = {"ESS_CHECKPOINT_SECONDS": "3600"}  # no periodic checkpoints: the test compares digests itself
    with Network() as network, ExitStack() as running:
        containers: dict[str, DockerContainer] = {}
        for pilot in PILOTS:
            extra = {f"{pilot}-{service}": quiet for service in services_of(pilot)}
            containers |= stack_containers(made.folder(pilot).root, network, variables, extra)
        system = ContainerFederation(made, containers)
        infrastructure = [f"{p}-nats" for p in PILOTS] + [f"{p}-postgres" for p in PILOTS]
        for name in infrastructure:
            running.enter_context(containers[name])
        for pilot in PILOTS:
            url = f"http://127.0.0.1:{system.port(f'{pilot}-nats', 8222)}/healthz"
            wait_http(url, 60, f"{pilot}'s NATS node", containers[f"{pilot}-nats"])
            POSTGRES_READY.wait_until_ready(containers[f"{pilot}-postgres"])
        asyncio.run(provision(system))
        services = [f"{p}-{s}" for p, s in system.names()]
        for name in services:
            running.enter_context(containers[name])
        for name in services:
            wait_http(f"http://127.0.0.1:{system.port(name, 8080)}/healthz", 120, name, containers[name])
        yield system


async def provision(system: ContainerFederation) -> None:
    """As the operator, through the published client ports (their certificates name 127.0.0.1)."""
    url = ",".join(f"tls://127.0.0.1:{system.port(f'{p}-nats', 4222)}" for p in PILOTS)
    deadline = time.monotonic() + 30
    while True:
        try:
            await provision_as_operator(
                url,
                default_stream_config_path(),
                system.made.operator_seed,
                ca_file=system.made.ca_file,
                replicas=3,
            )
            return
        except Exception:  # a new cluster may still be electing its meta leader
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def assert_checkpoints_agree(system: ContainerFederation, pilot: str) -> None:
    """What a pilot's operator runs: every service's signed checkpoint read from the stream with the
    pilot's own NATS login over TLS, compared by `ess view digest`."""
    for name in system.names():
        with system.client(*name) as client:
            assert client.post("/checkpoint").status_code == 200
    folder = system.made.folder(pilot)
    nodes = ",".join(f"tls://127.0.0.1:{system.port(f'{p}-nats', 4222)}" for p in PILOTS)
    env = os.environ | {
        "ESS_PILOT": pilot,
        "ESS_NATS_SEED_FILE": str(folder.nats_seed),
        "ESS_NATS_CA_FILE": str(system.made.ca_file),
    }
    command = [
        ESS,
        "view",
        "digest",
        "--json",
        "--server",
        nodes,
        "--trust-file",
        str(folder.config / "trust.json"),
    ]
    deadline = time.monotonic() + 60
    while True:  # the checkpoints reach the stream through each service's relay
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
        report = json.loads(done.stdout or "{}")
        if len(report.get("services", [])) == len(system.names()):
            break
        assert time.monotonic() < deadline, f"not every checkpoint arrived: {done.stdout} {done.stderr}"
        time.sleep(0.5)
    assert done.returncode == 0 and report["agree"], report
    assert len({s["view_digest"] for s in report["services"]}) == 1, report


def settled(system: ContainerFederation, limit: float = 120) -> dict[str, tuple[str, int]]:
    """The digests once all seven agree and stay the same for two reads."""
    deadline = time.monotonic() + limit
    previous: dict[str, tuple[str, int]] = {}
    while True:
        figures = system.digests()
        if len(set(figures.values())) == 1 and figures == previous:
            return figures
        assert time.monotonic() < deadline, f"the services did not agree: {figures}"
        previous = figures
        time.sleep(1.0)


def test_three_pilots_across_containers_with_a_node_stopped(federation: ContainerFederation) -> None:
    projects = [submit(federation, f"Projet coopératif {n}") for n in range(PROJECTS)]
    for pid in projects:
        give_opinion(federation, pid)

    node = federation.containers["bdt-nats"].get_wrapped_container()
    node.stop(timeout=10)  # bdt's own node goes away while every funder acts
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda args: fund(federation, *args), [(p, pid) for pid in projects for p in SHARES]))
    node.start()

    figures = settled(federation)
    (_digest, applied), *_ = figures.values()
    assert applied >= PROJECTS * 2 + PROJECTS + PROJECTS * 3 * 3, figures  # intake, opinions, acts
    for pilot in PILOTS:
        assert_checkpoints_agree(federation, pilot)
        with federation.client(pilot, "funding") as funding:
            for pid in projects:
                plan = funding.get(f"/projects/{pid}/plan").json()
                assert len(plan["facts"]["commitments"]) == 3, (pilot, pid, plan["facts"]["commitments"])
