"""NATS user identities: a pilot's user seed (generated on its own machine) and the shared settings file
of public user keys, `nats-users.json`, kept beside the trust file.

Why a file of its own rather than more fields in the trust file: the trust file's digest is part of every
checkpoint (it says which signing keys a digest was computed under); rotating a broker login must not
change it. Both files hold public keys only and keep their history: a key is never removed, a new one
retires the previous. Signing keys must stay verifiable for years; a retired NATS key, in contrast, no
longer logs in (see `NatsUsers.active`), so a leaked seed is shut out by adding its successor.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import date
from pathlib import Path

import nkeys
from pydantic import BaseModel, ConfigDict, Field

from ess_contracts.types import Pilot

OPERATOR = "operator"
OBSERVER = "observer"  # reads the stream (`ess status`, `ess tail`...), publishes nothing, owns no consumer
USERS_FILE_NAME = "nats-users.json"


def inbox_prefix(identity: str) -> str:
    """Each identity's own reply subjects (`_INBOX_region.<nuid>`): nobody else may subscribe to them."""
    return f"_INBOX_{identity}"


def generate_user_seed() -> str:
    """A NATS user seed ("SU…"); its public key reads "U…"."""
    return bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)).decode()


def user_public_key(seed: str) -> str:
    return bytes(nkeys.from_seed(seed.encode()).public_key).decode()


class UserKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(pattern=r"^U[A-Z2-7]{55}$")
    added: date
    retired: date | None = Field(default=None, description="no longer logs in from this date")


class NatsUsers(BaseModel):
    """The public NATS user keys of the operator, the observer and each pilot, with their history."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int = 1
    operator: tuple[UserKey, ...] = ()
    observer: tuple[UserKey, ...] = ()
    pilots: dict[Pilot, tuple[UserKey, ...]] = Field(default_factory=dict)

    def history(self, identity: str) -> tuple[UserKey, ...]:
        if identity in (OPERATOR, OBSERVER):
            return self.operator if identity == OPERATOR else self.observer
        return self.pilots.get(identity, ())  # type: ignore[call-overload, no-any-return]

    def active(self, identity: str, on: date | None = None) -> list[str]:
        """Keys that may log in on `on` (default today): added by then and not yet retired."""
        day = on or date.today()
        return [
            k.key for k in self.history(identity) if k.added <= day and (k.retired is None or k.retired > day)
        ]

    def with_key(self, identity: str, key: str, on: date | None = None) -> NatsUsers:
        """`key` becomes the identity's current key; the previous one retires on the same day."""
        day = on or date.today()
        history = self.history(identity)
        if history and history[-1].key == key and history[-1].retired is None:
            return self
        _check_public_key(key)
        kept = tuple(k if k.retired else k.model_copy(update={"retired": day}) for k in history)
        updated = (*kept, UserKey(key=key, added=day))
        if identity in (OPERATOR, OBSERVER):
            return self.model_copy(update={identity: updated})
        return self.model_copy(update={"pilots": {**self.pilots, identity: updated}})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> NatsUsers:
        return cls.model_validate_json(path.read_bytes())

    @classmethod
    def load_or_empty(cls, path: Path) -> NatsUsers:
        return cls.load(path) if path.exists() else cls()


def _check_public_key(key: str) -> None:
    """Decode a "U…" key: a typo or a wrong checksum fails here, not at the server."""
    try:
        raw = base64.b32decode(key)
    except ValueError as exc:
        raise ValueError(f"not a NATS user public key ({key[:12]}…): {exc}") from exc
    checksum_ok = nkeys.crc16(bytearray(raw[:-2])) == int.from_bytes(raw[-2:], "little")
    if len(raw) != 35 or raw[0] != nkeys.PREFIX_BYTE_USER or not checksum_ok:
        raise ValueError(f"not a NATS user public key ({key[:12]}…)")
