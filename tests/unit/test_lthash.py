"""LtHash16 as docs/digest.md defines it: the lane-wise sum of the rows' SHAKE-256 expansions modulo 2^16,
whatever the order, however many rows wait to be summed together."""

from __future__ import annotations

import hashlib
import random
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from ess_core.messaging.lthash import LANES, LtHash


def _row(n: int) -> bytes:
    return hashlib.sha256(f"row {n}".encode()).digest()


def _reference(added: list[bytes], removed: list[bytes]) -> bytes:
    """The definition read literally: each expansion as 1,024 little-endian 16-bit lanes, summed."""
    lanes = [0] * LANES
    for sign, rows in ((1, added), (-1, removed)):
        for row in rows:
            expansion = hashlib.shake_256(b"ess-lthash16-row\n" + row).digest(2 * LANES)
            for i, lane in enumerate(struct.unpack(f"<{LANES}H", expansion)):
                lanes[i] = (lanes[i] + sign * lane) % 2**16
    return struct.pack(f"<{LANES}H", *lanes)


def test_the_state_is_the_definitions_sum_past_many_pending_batches() -> None:
    added = [_row(n) for n in range(1_300)]  # more than two batches of pending rows
    removed = added[::4]
    lthash = LtHash()
    for row in added:
        lthash.add(row)
    for row in removed:
        lthash.remove(row)
    assert lthash.state() == _reference(added, removed)
    assert lthash.hexdigest() == hashlib.sha256(b"ess-lthash16-state\n" + lthash.state()).hexdigest()


def test_a_kept_state_goes_on_where_it_stopped() -> None:
    first, later = [_row(n) for n in range(40)], [_row(n) for n in range(40, 90)]
    kept = LtHash()
    for row in first:
        kept.add(row)
    resumed = LtHash(kept.state())
    for row in later:
        resumed.add(row)
    resumed.remove(first[0])
    assert resumed.state() == _reference([*first, *later], [first[0]])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=40), st.randoms(use_true_random=False))
def test_order_does_not_matter_and_removing_undoes_adding(numbers: list[int], rng: random.Random) -> None:
    rows = [_row(n) for n in numbers]
    forward, shuffled = LtHash(), LtHash()
    for row in rows:
        forward.add(row)
    for row in rng.sample(rows, len(rows)):
        shuffled.add(row)
    assert forward.state() == shuffled.state()
    for row in rows:
        forward.remove(row)
    assert forward.state() == LtHash().state() == bytes(2 * LANES)
