"""LtHash16 (Bellare-Micciancio; Lewi et al., "Securing update propagation with homomorphic hashing",
2019): a multiset hash whose state is 1,024 lanes of 16 bits (2 KiB). A row's hash is the SHAKE-256
expansion of its SHA-256 into 2 KiB; the set's state is the lane-wise sum of its rows' hashes, modulo 2^16.
Adding or removing one row costs one expansion and two additions, whatever the size of the set, and the
state does not depend on the order rows came in; finding another set with the same state takes about
2^200 work at this size, so a party cannot choose rows to match a digest.

The lanes are added as Python integers: each 16-bit lane sits in a 32-bit slot (even lanes in one integer,
odd lanes in another), so carries stay in their slot's spare bits and one masking folds them away.
"""

from __future__ import annotations

import hashlib

LANES = 1024
STATE_BYTES = 2 * LANES
_LOW16 = int.from_bytes(b"\xff\xff\x00\x00" * (LANES // 2), "little")  # the low 16 bits of every slot
_WRAP = int.from_bytes(b"\x00\x00\x01\x00" * (LANES // 2), "little")  # 2^16 in every slot
_FOLD_AFTER = 30_000  # additions before a slot's spare 16 bits could overflow (each adds < 2^17)
_DOMAIN = b"ess-lthash16-row\n"


def row_lanes(row_digest: bytes) -> bytes:
    """A row's 2 KiB hash, from the SHA-256 of its canonical bytes."""
    return hashlib.shake_256(_DOMAIN + row_digest).digest(STATE_BYTES)


def _split(lanes: bytes) -> tuple[int, int]:
    """Even and odd lanes, each lane in its own 32-bit slot."""
    value = int.from_bytes(lanes, "little")
    return value & _LOW16, (value >> 16) & _LOW16


class LtHash:
    """A mutable multiset hash; `add` and `remove` take a row's SHA-256."""

    __slots__ = ("_even", "_odd", "_pending")

    def __init__(self, state: bytes | None = None) -> None:
        self._even, self._odd = _split(state) if state else (0, 0)
        self._pending = 0

    def add(self, row_digest: bytes) -> None:
        even, odd = _split(row_lanes(row_digest))
        self._even += even
        self._odd += odd
        self._count()

    def remove(self, row_digest: bytes) -> None:
        even, odd = _split(row_lanes(row_digest))
        self._even += _WRAP - even  # 2^16 - x in every slot: no borrow, since every lane is below 2^16
        self._odd += _WRAP - odd
        self._count()

    def _count(self) -> None:
        self._pending += 1
        if self._pending >= _FOLD_AFTER:
            self._fold()

    def _fold(self) -> None:
        self._even &= _LOW16
        self._odd &= _LOW16
        self._pending = 0

    def state(self) -> bytes:
        """The 2 KiB state: lane i as 16 bits little-endian at byte 2i."""
        self._fold()
        return (self._even | (self._odd << 16)).to_bytes(STATE_BYTES, "little")

    def hexdigest(self) -> str:
        """What a digest line names: the SHA-256 of the state (a checkpoint carries 32 bytes, not 2 KiB)."""
        return hashlib.sha256(b"ess-lthash16-state\n" + self.state()).hexdigest()
