"""NATS for tests: a local nats-server (default) or a testcontainers NatsContainer.

``ESS_TEST_NATS_BACKEND=containers`` selects the container (image ``ESS_TEST_NATS_IMAGE``, default
nats:2.15.1); the test is skipped when no container engine answers. See /work/shared/CONTAINERS.md.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Protocol

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision

BACKEND_ENV = "ESS_TEST_NATS_BACKEND"
IMAGE_ENV = "ESS_TEST_NATS_IMAGE"
DEFAULT_IMAGE = "nats:2.15.1"


class NatsEndpoint(Protocol):
    @property
    def url(self) -> str: ...


def nats_backend() -> str:
    backend = os.environ.get(BACKEND_ENV, "local")
    if backend not in ("local", "containers"):
        raise pytest.UsageError(f"{BACKEND_ENV} must be 'local' or 'containers', not {backend!r}")
    return backend


class ContainerNats:
    """A NatsContainer with JetStream, its ports published on 127.0.0.1 only.

    The image runs with ``-js`` and the server's default sync_interval (no config file is mounted).
    """

    def __init__(self, image: str) -> None:
        from testcontainers.community.nats import NatsContainer

        self.container = NatsContainer(image=image, jetstream=True)
        for port in (self.container.client_port, self.container.management_port):
            self.container.ports[str(port)] = ("127.0.0.1",)  # type: ignore[assignment]

    @property
    def url(self) -> str:
        return self.container.nats_uri()


def require_container_engine() -> None:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except DockerException as exc:
        pytest.skip(f"{BACKEND_ENV}=containers but no container engine is reachable: {exc}")


@contextmanager
def running_nats(work_dir: Path) -> Iterator[NatsEndpoint]:
    """A fresh NATS with JetStream for one test, stopped afterwards; a local one holds the ports it picked
    until then (HeldPort)."""
    if nats_backend() == "containers":
        require_container_engine()
        nats_container = ContainerNats(os.environ.get(IMAGE_ENV, DEFAULT_IMAGE))
        with nats_container.container:
            yield nats_container
        return
    server = NatsServer(work_dir)
    server.start()
    try:
        yield server
    finally:
        server.close()


@asynccontextmanager
async def provisioned_stream(url: str) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    """A client connected to ``url`` with the ESS stream provisioned from deploy/stream.json."""
    nc = await nats.connect(url, connect_timeout=5)
    try:
        js = nc.jetstream()
        await provision(js, load_stream_config(default_stream_config_path()))
        yield nc, js
    finally:
        await nc.close()
