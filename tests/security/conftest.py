from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support.faults_identities import Identities, connected


@dataclass
class SecureBroker:
    server: NatsServer
    identities: Identities

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
async def secure_broker(tmp_path: Path) -> AsyncIterator[SecureBroker]:
    """A nats-server whose users are written from per-pilot keys, the ESS stream made by the operator."""
    identities = Identities.make(tmp_path / "keys")
    server = NatsServer(tmp_path / "nats", extra_config=identities.authorization())
    server.start()
    try:
        async with connected(server.url, identities, "operator") as operator:
            await provision(operator.nc.jetstream(), load_stream_config(default_stream_config_path()))
        yield SecureBroker(server, identities)
    finally:
        server.close()
