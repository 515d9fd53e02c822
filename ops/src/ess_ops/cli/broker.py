"""Short-lived broker connections for the `ess` command: provision the stream, publish the probe."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.ops import ProbeSent
from ess_contracts.signing import Signer
from ess_contracts.types import Pilot
from ess_core.security.client import connect_options
from ess_ops.nats.provision import ProvisionReport, load_stream_config, provision


async def _quiet(_: Exception) -> None:
    """nats-py logs every connection error by default; the command reports its own."""


def login_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A deployment's reader: `ESS_NATS_SEED_FILE` with `ESS_PILOT` (whose inbox prefix it uses) and
    `ESS_NATS_CA_FILE` for a federation's TLS nodes. Without them, `ess up`'s loopback broker lets the
    command in as its read-only observer."""
    env = os.environ if env is None else env
    seed, ca_file = env.get("ESS_NATS_SEED_FILE"), env.get("ESS_NATS_CA_FILE")
    identity = env.get("ESS_PILOT", "operator")
    return connect_options(identity, Path(seed) if seed else None, Path(ca_file) if ca_file else None)


@asynccontextmanager
async def connect(url: str, connect_timeout: float = 2.0) -> AsyncIterator[Client]:
    """A command must fail fast when the broker is away: two quick tries, no reconnects later.

    (nats-py retries a server for ever when ``max_reconnect_attempts`` is 0, even without reconnects.)
    """
    async with asyncio.timeout(connect_timeout * 3):
        nc = await nats.connect(
            [part.strip() for part in url.split(",")],
            connect_timeout=connect_timeout,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
            error_cb=_quiet,
            name="ess-cli",
            **login_from_env(),
        )
    try:
        yield nc
    finally:
        await nc.close()


async def provision_stream(url: str, config_file: Path, *, apply: bool = True) -> ProvisionReport:
    config = load_stream_config(config_file)
    async with connect(url) as nc:
        return await provision(nc.jetstream(), config, apply=apply)


def new_probe_id() -> str:
    return f"probe-{secrets.token_hex(8)}"


async def publish_probe(url: str, stream: str, signer: Signer, pilot: Pilot, probe_id: str) -> int:
    """Publish one signed ProbeSent with a PubAck; returns its stream sequence."""
    event = new_event(
        ProbeSent(note="ess up wiring check"), pilot=pilot, service="ops", aggregate_id=probe_id, sequence=1
    )
    wire = encode(event, signer)
    async with connect(url) as nc:
        ack = await nc.jetstream().publish(wire.subject, wire.data, headers=wire.headers, stream=stream)
    return ack.seq
