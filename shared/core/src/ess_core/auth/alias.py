"""The opaque id a pilot gives one of its staff where others can see it (signed events): stable for the
person, computable by no other pilot, mapped back to the person only in the pilot's own database."""

from __future__ import annotations

import hashlib

from ess_contracts.signing import Signer


def staff_alias(signer: Signer, subject: str) -> str:
    """`staff-` and 20 hex digits derived from the pilot's signing key (ed25519 signatures are
    deterministic) and the token's subject. A new signing key gives new aliases: the pilot's acts table
    still maps each event to its person."""
    signature = signer.sign(b"ess staff alias\x00" + subject.encode())
    return "staff-" + hashlib.sha256(signature.encode()).hexdigest()[:20]
