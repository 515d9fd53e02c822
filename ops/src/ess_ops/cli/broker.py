"""Short-lived broker connections for the `ess` command's readers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from ess_core.security.client import connect_options
from ess_core.security.identities import OBSERVER
from ess_ops.topology import StateDir


async def _quiet(_: Exception) -> None:
    """nats-py logs every connection error by default; the command reports its own."""


def reader_login(state_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Who a reading command logs in as: a deployment's pilot (`ESS_NATS_SEED_FILE` with `ESS_PILOT`, whose
    inbox prefix it uses; `ESS_NATS_CA_FILE` for a federation's TLS nodes), else the observer whose seed
    `ess up` generated in its state dir. Without either, no login: the broker refuses, and says so."""
    env = os.environ if env is None else env
    seed, ca_file = env.get("ESS_NATS_SEED_FILE"), env.get("ESS_NATS_CA_FILE")
    identity = env.get("ESS_PILOT", OBSERVER)
    observer_seed = StateDir(state_dir).nats_seed(OBSERVER)
    if seed is None and observer_seed.exists():
        seed, identity = str(observer_seed), OBSERVER
    return connect_options(identity, Path(seed) if seed else None, Path(ca_file) if ca_file else None)


@asynccontextmanager
async def connect(url: str, login: Mapping[str, Any], connect_timeout: float = 2.0) -> AsyncIterator[Client]:
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
            **login,
        )
    try:
        yield nc
    finally:
        await nc.close()
