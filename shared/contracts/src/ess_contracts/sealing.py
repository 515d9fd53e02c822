"""Free text that may hold personal data travels sealed (crypto-shredding).

The text is encrypted with a data key of its own (one per project, authoring pilot and field), with
XChaCha20-Poly1305 whose associated data names the project and the field, so a box cannot be moved to
another project or field. Data keys never go on the stream: the author keeps them in its database and
hands each pilot a copy sealed to that pilot's X25519 key through the key store, a bucket that allows
deletion. Destroying a data key erases the text everywhere at once, while the signed, immutable stream
still verifies and digests (which cover the box, never the text) stay equal.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Annotated

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

UNSEALED = "unsealed"
"""The key of a text an event carried in clear before catalogue v4: shown as is, never erasable."""

UPCAST_CONTEXT = {"upcast": True}
"""Validation context of an upcast event: only there may a text be `unsealed`."""

DataKeyId = Annotated[str, StringConstraints(pattern=r"^(region|state|bdt)-[0-9a-f]{32}$")]

NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES


class CannotOpen(ValueError):
    """The box does not open with this key and context: a wrong key, another field's box, or tampering."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealed(BaseModel):
    """A free text as the stream carries it: the id of its data key and the box (nonce and ciphertext)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=rf"^((region|state|bdt)-[0-9a-f]{{32}}|{UNSEALED})$")
    box: str = Field(pattern=r"^[A-Za-z0-9_-]*$", max_length=4096)

    @field_validator("key")
    @classmethod
    def _sealed_unless_upcast(cls, key: str, info: ValidationInfo) -> str:
        if key == UNSEALED and not (info.context or {}).get("upcast"):
            raise ValueError("free text travels sealed: the key 'unsealed' only names text sent before v4")
        return key

    @property
    def owner(self) -> str:
        """The pilot whose data key it is: the author, the only one who may destroy it."""
        return self.key.split("-", 1)[0]

    @property
    def erasable(self) -> bool:
        return self.key != UNSEALED


def context_of(aggregate_id: str, field: str) -> str:
    """The associated data: a box opens only for the project and field it was sealed for."""
    return f"{aggregate_id}/{field}"


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def new_key_id(pilot: str) -> str:
    return f"{pilot}-{os.urandom(16).hex()}"


def seal(key_id: str, secret: bytes, text: str, context: str) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    cipher = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text.encode(), context.encode(), nonce, secret)
    return Sealed(key=key_id, box=_b64(nonce + cipher))


def open_box(sealed: Sealed, secret: bytes, context: str) -> str:
    raw = _unb64(sealed.box)
    nonce, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            cipher, context.encode(), nonce, secret
        ).decode()
    except (nacl.exceptions.CryptoError, ValueError) as error:
        raise CannotOpen(f"box under {sealed.key} does not open for {context}") from error


def opened(sealed: Sealed, secret: bytes | None, context: str) -> str | None:
    """The text, or None when there is no key or the box does not open with it; a text sent before v4
    needs none."""
    if not sealed.erasable:
        return read_unsealed(sealed)
    if secret is None:
        return None
    try:
        return open_box(sealed, secret, context)
    except CannotOpen:
        return None


def unsealed(text: str) -> dict[str, str]:
    """What an upcaster writes for a text an older event carried in clear."""
    return {"key": UNSEALED, "box": _b64(text.encode())}


def read_unsealed(sealed: Sealed) -> str:
    return _unb64(sealed.box).decode()


# --- pilots' encryption keys (X25519), to seal data keys to a recipient ---------------------------------


def generate_private_key() -> str:
    return _b64(bytes(nacl.public.PrivateKey.generate()))


def private_key(text: str) -> nacl.public.PrivateKey:
    return nacl.public.PrivateKey(_unb64(text.strip()))


def public_key_text(private: nacl.public.PrivateKey) -> str:
    return _b64(bytes(private.public_key))


def check_public_key(text: str) -> nacl.public.PublicKey:
    try:
        raw = _unb64(text)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not an X25519 public key ({text[:12]}…): {error}") from error
    if len(raw) != nacl.public.PublicKey.SIZE:
        raise ValueError(f"not an X25519 public key ({text[:12]}…): {len(raw)} bytes, not 32")
    return nacl.public.PublicKey(raw)


def seal_data_key(secret: bytes, recipient: str) -> bytes:
    """A data key as one recipient pilot receives it: only that pilot's private key opens it."""
    return bytes(nacl.public.SealedBox(check_public_key(recipient)).encrypt(secret))


def open_data_key(sealed_secret: bytes, private: nacl.public.PrivateKey) -> bytes:
    try:
        return bytes(nacl.public.SealedBox(private).decrypt(sealed_secret))
    except nacl.exceptions.CryptoError as error:
        raise CannotOpen("the data key copy is not sealed to this pilot's key") from error
