"""Per-pilot NATS identities for tests: seeds made at test time, the authorization block written from
their public keys by the same generator `ess up` uses, and connections as one identity that record the
server's asynchronous errors (permission violations arrive there, not as exceptions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from ess_contracts.codec import WireMessage
from ess_contracts.types import PILOTS
from ess_core.security.client import connect_options
from ess_core.security.identities import OBSERVER, OPERATOR, NatsUsers
from ess_core.security.permissions import authorization_block
from ess_ops import keys


@dataclass
class Identities:
    folder: Path
    users: NatsUsers

    @classmethod
    def make(cls, folder: Path, names: Sequence[str] = (OPERATOR, OBSERVER, *PILOTS)) -> Identities:
        """Seeds under `folder` (kept if present, like `ess up`), and their public keys' settings."""
        public = {name: keys.ensure_nats_seed(folder / f"{name}.nats.seed") for name in names}
        return cls(folder, keys.ensure_nats_users(folder.parent / "nats-users.json", public))

    def seed(self, identity: str) -> Path:
        return self.folder / f"{identity}.nats.seed"

    def authorization(self) -> str:
        return authorization_block(self.users)


@dataclass
class Connection:
    nc: Client
    errors: list[str] = field(default_factory=list)

    @property
    def js(self) -> JetStreamContext:
        """A refused API request only times out: keep that short in tests."""
        return self.nc.jetstream(timeout=1.0)

    async def violation(self, fragment: str, limit: float = 2.0) -> str:
        """The server's permissions violation naming `fragment`, as it reaches the error callback."""
        deadline = asyncio.get_running_loop().time() + limit
        while asyncio.get_running_loop().time() < deadline:
            found = [e for e in self.errors if "permissions violation" in e and fragment.lower() in e.lower()]
            if found:
                return found[0]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no permissions violation for {fragment!r}; errors: {self.errors}")


@asynccontextmanager
async def connected(url: str, identities: Identities | None, identity: str) -> AsyncIterator[Connection]:
    """A connection as `identity` (its seed and inbox prefix), or unauthenticated when `identities` is
    None. No reconnects: a test that loses the server should see it."""
    errors: list[str] = []

    async def record(error: Exception) -> None:
        errors.append(str(error))

    login = connect_options(identity, identities.seed(identity)) if identities else {}
    servers = url.split(",")  # a cluster: every node
    nc = await nats.connect(servers, error_cb=record, allow_reconnect=False, connect_timeout=2, **login)
    try:
        yield Connection(nc, errors)
    finally:
        await nc.close()


async def publish_as_pilots(
    url: str, identities: Identities | None, messages: Sequence[tuple[str, WireMessage]]
) -> int:
    """Publish each (pilot, message) with that pilot's own identity, in the given order, with PubAcks;
    returns the last stream sequence."""
    seq = 0
    async with (
        connected(url, identities, "region") as region,
        connected(url, identities, "state") as state,
        connected(url, identities, "bdt") as bdt,
    ):
        by_pilot = {"region": region.nc.jetstream(), "state": state.nc.jetstream(), "bdt": bdt.nc.jetstream()}
        for pilot, m in messages:
            ack = await by_pilot[pilot].publish(m.subject, m.data, stream="ESS", headers=dict(m.headers))
            seq = ack.seq
    return seq
