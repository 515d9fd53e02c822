"""LtHash16 (Bellare-Micciancio; Lewi et al., "Securing update propagation with homomorphic hashing",
2019): a multiset hash whose state is 1,024 lanes of 16 bits (2 KiB). A row's hash is the SHAKE-256
expansion of its SHA-256 into 2 KiB; the set's state is the lane-wise sum of its rows' hashes, modulo 2^16.
Adding or removing one row costs one expansion and two additions, whatever the size of the set, and the
state does not depend on the order rows came in; finding another set with the same state takes about
2^200 work at this size, so a party cannot choose rows to match a digest.

Rows added or removed wait in a list and are summed together, as a matrix of 16-bit lanes whose
arithmetic wraps modulo 2^16 by itself: a row then costs its expansion and a memory copy (summing one
row at a time as Python integers cost as much again as the expansion, bench/README.md).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

LANES = 1024
STATE_BYTES = 2 * LANES
_LANE = np.dtype("<u2")  # little-endian, as the state is written, whatever the machine
_PENDING = 512  # rows held before they are summed: 1 MiB of expansions at most
_DOMAIN = b"ess-lthash16-row\n"


def row_lanes(row_digest: bytes) -> bytes:
    """A row's 2 KiB hash, from the SHA-256 of its canonical bytes."""
    return hashlib.shake_256(_DOMAIN + row_digest).digest(STATE_BYTES)


def _sum(expansions: list[bytes]) -> npt.NDArray[np.uint16]:
    rows = np.frombuffer(b"".join(expansions), dtype=_LANE).reshape(len(expansions), LANES)
    total: npt.NDArray[np.uint16] = rows.sum(axis=0, dtype=_LANE)
    return total


class LtHash:
    """A mutable multiset hash; `add` and `remove` take a row's SHA-256."""

    __slots__ = ("_added", "_lanes", "_removed")

    def __init__(self, state: bytes | None = None) -> None:
        self._lanes = np.frombuffer(state, dtype=_LANE).copy() if state else np.zeros(LANES, dtype=_LANE)
        self._added: list[bytes] = []
        self._removed: list[bytes] = []

    def add(self, row_digest: bytes) -> None:
        self._added.append(row_lanes(row_digest))
        if len(self._added) >= _PENDING:
            self._flush()

    def remove(self, row_digest: bytes) -> None:
        self._removed.append(row_lanes(row_digest))
        if len(self._removed) >= _PENDING:
            self._flush()

    def _flush(self) -> None:
        if self._added:
            self._lanes += _sum(self._added)
            self._added = []
        if self._removed:
            self._lanes -= _sum(self._removed)
            self._removed = []

    def add_state(self, state: bytes) -> None:
        """Another set's state: this one becomes the hash of both sets together."""
        self._lanes += np.frombuffer(state, dtype=_LANE)

    def state(self) -> bytes:
        """The 2 KiB state: lane i as 16 bits little-endian at byte 2i."""
        self._flush()
        return self._lanes.tobytes()

    def hexdigest(self) -> str:
        """What a digest line names: the SHA-256 of the state (a checkpoint carries 32 bytes, not 2 KiB)."""
        return hashlib.sha256(b"ess-lthash16-state\n" + self.state()).hexdigest()
