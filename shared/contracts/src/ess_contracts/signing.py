"""Pilot keys (ed25519, NATS nkeys encoding) and the trust file of every pilot's public keys.

Each pilot generates its seed on its own machine; only public keys are shared. The trust file keeps
every key a pilot ever used, so events signed before a rotation still verify years later.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import date
from pathlib import Path

import nacl.exceptions
import nacl.signing
import nkeys
from pydantic import BaseModel, ConfigDict, Field

from ess_contracts.canonical import canonical_bytes, sha256_hex
from ess_contracts.key_history import KeyEnd, KeyHistory
from ess_contracts.types import Pilot

SIGNING_PREFIX = nkeys.PREFIX_BYTE_ACCOUNT  # public keys read "A...": distinct from NATS user keys "U..."


class SignatureInvalid(ValueError):
    pass


def generate_seed() -> str:
    return bytes(nkeys.encode_seed(os.urandom(32), SIGNING_PREFIX)).decode()


class Signer:
    def __init__(self, seed: str) -> None:
        self._pair = nkeys.from_seed(seed.encode())
        self.public_key: str = bytes(self._pair.public_key).decode()

    def sign(self, data: bytes) -> str:
        return base64.urlsafe_b64encode(self._pair.sign(data)).decode()


def _verify_key(public_key: str) -> nacl.signing.VerifyKey:
    raw = base64.b32decode(public_key)
    if len(raw) != 35 or not nkeys.valid_public_prefix_byte(raw[0]):
        raise SignatureInvalid(f"not a public nkey: {public_key[:8]}…")
    if nkeys.crc16(bytearray(raw[:-2])) != int.from_bytes(raw[-2:], "little"):
        raise SignatureInvalid(f"public key checksum mismatch: {public_key[:8]}…")
    return nacl.signing.VerifyKey(raw[1:33])


class TrustedKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(pattern=r"^A[A-Z2-7]{55}$")
    added: date
    retired: date | None = Field(default=None, description="no longer signs new events after this date")
    ended: KeyEnd | None = Field(
        default=None, description="its successor's statement of what it signed: nothing else under it counts"
    )


class EncryptionKey(BaseModel):
    """A pilot's X25519 public key: data keys are sealed to it (ess_contracts.sealing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$")
    added: date
    retired: date | None = Field(default=None, description="no data key is sealed to it after this date")


class TrustFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int = 1
    pilots: dict[Pilot, tuple[TrustedKey, ...]]
    encryption: dict[Pilot, tuple[EncryptionKey, ...]] = Field(default_factory=dict)

    def digest(self) -> str:
        """Over the signing keys only: they decide which events a digest judged; a pilot adding or
        rotating its encryption key changes no verdict, so no checkpoint's trust hash."""
        return sha256_hex(canonical_bytes(self.model_dump(mode="json", include={"version", "pilots"})))

    def encryption_key(self, pilot: str) -> str | None:
        """The pilot's current encryption key, if it has one."""
        current = [k for k in self.encryption.get(pilot, ()) if k.retired is None]  # type: ignore[call-overload]
        return current[-1].key if current else None

    def add_encryption_key(self, pilot: Pilot, key: str, on: date) -> TrustFile:
        history = tuple(
            k if k.retired else k.model_copy(update={"retired": on}) for k in self.encryption.get(pilot, ())
        )
        updated = (*history, EncryptionKey(key=key, added=on))
        return self.model_copy(update={"encryption": {**self.encryption, pilot: updated}})

    def add_key(self, pilot: Pilot, key: str, on: date) -> TrustFile:
        history = tuple(
            k if k.retired else k.model_copy(update={"retired": on}) for k in self.pilots.get(pilot, ())
        )
        return self.model_copy(
            update={"pilots": {**self.pilots, pilot: (*history, TrustedKey(key=key, added=on))}}
        )

    def end_key(self, statement: KeyEnd) -> TrustFile:
        """The trust file with ``statement`` recorded: the ended key keeps verifying exactly what the
        statement names, and its successor, which signed it, becomes the pilot's current key."""
        history = self.pilots.get(statement.pilot, ())
        if not any(k.key == statement.key for k in history):
            raise SignatureInvalid(f"key {statement.key[:8]}… is not one of {statement.pilot}'s keys here")
        verify_statement(statement)
        ended = tuple(
            k.model_copy(update={"retired": k.retired or statement.on, "ended": statement})
            if k.key == statement.key
            else k
            for k in history
        )
        updated = self.model_copy(update={"pilots": {**self.pilots, statement.pilot: ended}})
        if any(k.key == statement.successor for k in history):
            return updated
        return updated.add_key(statement.pilot, statement.successor, statement.on)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrustFile:
        return cls.model_validate_json(path.read_bytes())


class TrustStore:
    """Verifies that a signature over the exact bytes received comes from a key of the named pilot."""

    def __init__(self, trust: TrustFile) -> None:
        self.trust = trust
        self.digest = trust.digest()
        self._keys: dict[str, tuple[Pilot, nacl.signing.VerifyKey]] = {
            k.key: (pilot, _verify_key(k.key)) for pilot, keys in trust.pilots.items() for k in keys
        }
        ends = [k.ended for keys in trust.pilots.values() for k in keys if k.ended]
        for end in ends:  # a hand-edited mark would vouch for a forgery: only the successor's word counts
            verify_statement(end)
            if self._keys.get(end.successor, ("",))[0] != end.pilot:
                raise SignatureInvalid(f"the successor of key {end.key[:8]}… is not {end.pilot}'s key")
        self.history = KeyHistory(ends)

    def verify(self, pilot: str, key: str, data: bytes, signature: str) -> None:
        entry = self._keys.get(key)
        if entry is None:
            raise SignatureInvalid(f"key {key[:8]}… is not in the trust file")
        if entry[0] != pilot:
            raise SignatureInvalid(f"key {key[:8]}… belongs to {entry[0]!r}, not {pilot!r}")
        try:
            entry[1].verify(data, base64.urlsafe_b64decode(signature))
        except (nacl.exceptions.BadSignatureError, ValueError) as error:
            raise SignatureInvalid("signature does not match the bytes received") from error


def sign_statement(statement: KeyEnd, successor: Signer) -> KeyEnd:
    if successor.public_key != statement.successor:
        raise SignatureInvalid("a key's end is signed by the successor it names")
    return statement.model_copy(update={"signature": successor.sign(statement.signed_bytes())})


def verify_statement(statement: KeyEnd) -> None:
    """The statement was signed by the successor it names (the ended key cannot end itself: a thief
    holding it could then vouch for anything)."""
    if statement.successor == statement.key:
        raise SignatureInvalid("a key's successor must be another key")
    try:
        _verify_key(statement.successor).verify(
            statement.signed_bytes(), base64.urlsafe_b64decode(statement.signature)
        )
    except (nacl.exceptions.BadSignatureError, ValueError) as error:
        raise SignatureInvalid(
            f"the end of key {statement.key[:8]}… is not signed by its successor"
        ) from error
