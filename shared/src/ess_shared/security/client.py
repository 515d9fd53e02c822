"""How a program connects as one identity: its user seed (nkey) and its own inbox prefix."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from ess_shared.runtime.provision import ProvisionReport, load_stream_config, provision
from ess_shared.security.identities import OPERATOR, inbox_prefix


def connect_options(identity: str, seed_file: Path | None, ca_file: Path | None = None) -> dict[str, Any]:
    """Keyword arguments for `nats.connect` (FastStream's `NatsBroker` takes `tls` as its `security`).
    Without a seed (an unauthenticated local broker) no login; with a CA file, TLS that verifies the
    server's certificate against it (a federation's nodes)."""
    options: dict[str, Any] = {}
    if seed_file is not None:
        options |= {"nkeys_seed": str(seed_file), "inbox_prefix": inbox_prefix(identity)}
    if ca_file is not None:
        options["tls"] = ssl.create_default_context(cafile=str(ca_file))
    return options


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
) -> ProvisionReport:
    """`ess provision`: only the operator identity may create or change the stream. `replicas`: a
    cluster's (the file says 1, for one server)."""
    config = load_stream_config(config_file)
    if replicas is not None:
        config = dataclasses.replace(config, num_replicas=replicas)
    servers = [part.strip() for part in url.split(",")]
    tls = connect_options(OPERATOR, None, ca_file)
    async with connect_as(servers, OPERATOR, seed_file, **tls) as nc:
        return await provision(nc.jetstream(timeout=10), config, apply=apply)
