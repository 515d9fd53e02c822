"""The key store: a JetStream key-value bucket where each author leaves, for every pilot, a copy of its
data keys sealed to that pilot's X25519 key (`<author>.<key id>.<recipient>`).

Unlike the `ESS` stream it allows deletion, and it is kept in memory: no copy of a key ever sits in a
broker's files, so destroying the author's row and purging its copies leaves nothing that opens the
text. A broker restart empties it; authors publish their live keys again when they start. The server
lets a pilot write only under its own name and read only the copies sealed to it
(`ess_core.security.permissions`)."""

from __future__ import annotations

from nats.js import JetStreamContext, JetStreamManager
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from ess_contracts.sealing import seal_data_key
from ess_contracts.signing import TrustFile
from ess_contracts.types import PILOTS

BUCKET = "ESS_KEYS"
STREAM = f"KV_{BUCKET}"
PREFIX = f"$KV.{BUCKET}"
STREAM_NAME_IN_USE = 10058  # created already, by another provisioning run
PURGE = {"KV-Operation": "PURGE", "Nats-Rollup": "sub"}


def key_store_config(replicas: int = 1) -> StreamConfig:
    """The bucket's stream, as nats-py's `create_key_value` would write it, kept in memory."""
    return StreamConfig(
        name=STREAM,
        description="data keys sealed to each pilot (crypto-shredding); deletable, in memory",
        subjects=[f"{PREFIX}.>"],
        max_msgs_per_subject=1,
        max_msg_size=1024,
        storage=StorageType.MEMORY,
        num_replicas=replicas,
        discard=DiscardPolicy.NEW,
        allow_rollup_hdrs=True,
        deny_delete=True,
        allow_direct=True,
    )


async def provision_key_store(js: JetStreamManager, replicas: int = 1) -> None:
    """Create the bucket when missing (the operator's job, beside the `ESS` stream)."""
    try:
        await js.add_stream(key_store_config(replicas))
    except BadRequestError as error:
        if error.err_code != STREAM_NAME_IN_USE:
            raise


def copy_subject(key_id: str, recipient: str) -> str:
    author = key_id.split("-", 1)[0]
    return f"{PREFIX}.{author}.{key_id}.{recipient}"


class KeyStore:
    """One pilot's access to the bucket: leave copies of its own keys, fetch the copies sealed to it."""

    def __init__(self, js: JetStreamContext, pilot: str, trust: TrustFile) -> None:
        self.js, self.pilot, self.trust = js, pilot, trust

    def recipients(self) -> dict[str, str]:
        """Every pilot with a current encryption key, and that key."""
        keys = {p: self.trust.encryption_key(p) for p in PILOTS}
        return {p: k for p, k in keys.items() if k is not None}

    async def publish(self, key_id: str, secret: bytes) -> None:
        for recipient, public in self.recipients().items():
            await self.js.publish(copy_subject(key_id, recipient), seal_data_key(secret, public))

    async def fetch(self, key_id: str) -> bytes | None:
        """The copy of `key_id` sealed to this pilot, or None when there is none (destroyed, or not
        published yet)."""
        subject = copy_subject(key_id, self.pilot)
        try:
            msg = await self.js.get_msg(STREAM, subject=subject, direct=True)
        except NotFoundError:
            return None
        if msg.headers and msg.headers.get("KV-Operation") in ("DEL", "PURGE"):
            return None
        return msg.data

    async def purge(self, key_id: str) -> None:
        for recipient in PILOTS:
            await self.js.publish(copy_subject(key_id, recipient), b"", headers=PURGE)
