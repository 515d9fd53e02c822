"""Short-lived operator connections: `ess` commands that fail fast when the broker is away, and the
stream's provisioning, which only the operator identity may do."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from ess_core.security.client import connect_options
from ess_core.security.identities import OPERATOR
from ess_ops.nats.provision import ProvisionReport, load_stream_config, provision


async def _quiet(_: Exception) -> None:
    """The command reports its own errors."""


@asynccontextmanager
async def connect_as(
    url: str | list[str], identity: str, seed_file: Path | None, connect_timeout: float = 2.0, **options: Any
) -> AsyncIterator[Client]:
    """A short-lived connection as `identity` that fails fast when the broker is away (no reconnects).
    `error_cb` may be passed to see the server's permission violations."""
    settings: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "allow_reconnect": False,
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 0.2,
        "error_cb": _quiet,
        "name": f"ess-{identity}",
    }
    settings |= connect_options(identity, seed_file) | options
    async with asyncio.timeout(connect_timeout * 3):
        nc = await nats.connect(url, **settings)
    try:
        yield nc
    finally:
        await nc.close()


async def provision_as_operator(
    url: str,
    config_file: Path,
    seed_file: Path | None,
    *,
    apply: bool = True,
    ca_file: Path | None = None,
    replicas: int | None = None,
    max_bytes: int | None = None,
) -> ProvisionReport:
    """`ess provision`: only the operator identity may create or change the stream. `replicas`: a
    cluster's (the file says 1, for one server); `max_bytes`: sized from each node's disk (the file says
    1 GiB, for one machine), since JetStream reserves it against the storage of every replica's node."""
    config = load_stream_config(config_file)
    if replicas is not None:
        config = dataclasses.replace(config, num_replicas=replicas)
    if max_bytes is not None:
        config = dataclasses.replace(config, max_bytes=max_bytes)
    servers = [part.strip() for part in url.split(",")]
    tls = connect_options(OPERATOR, None, ca_file)
    async with connect_as(servers, OPERATOR, seed_file, **tls) as nc:
        return await provision(nc.jetstream(timeout=10), config, apply=apply)
