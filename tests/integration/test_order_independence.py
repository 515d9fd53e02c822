"""Property: views built from the same events have the same digest whatever the interleaving of the
three pilots' acts, the batch sizes, redeliveries and restarts; and a rebuild equals the live view.

Drives the projection fold directly with real databases (SQLite, and PostgreSQL when set): the broker's
part (delivery, redelivery) is covered against a real nats-server in test_messaging.py.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import Fold, Incoming
from ess_core.service.migrate import upgrade
from ess_views import shared_views
from tests.support import events as ev
from tests.support.databases import BACKENDS, database_url
from tests.support.pilots import Pilots

PILOTS = Pilots.generate()
STORY = [e for n in range(3) for e in ev.project_story(f"region-p{n}") + ev.followup_story(f"region-p{n}")]
WIRES = [ev.wire(PILOTS.signers, p, e) for p, e in STORY]


def incoming(index: int, copy: int) -> Incoming:
    wire = WIRES[index]
    return Incoming(1000 * copy + index + 1, wire.subject, wire.data, dict(wire.headers))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Incoming], list[int], set[int]]:
    """An interleaving of every event, some delivered twice, cut into batches, with restarts."""
    order = draw(st.permutations(range(len(WIRES))))
    again = draw(st.lists(st.sampled_from(range(len(WIRES))), max_size=6))
    messages = [incoming(i, 0) for i in order] + [incoming(i, 1) for i in again]
    cuts = sorted(draw(st.sets(st.integers(1, len(messages) - 1), max_size=8)))
    restarts = draw(st.sets(st.integers(0, len(cuts)), max_size=3))
    return messages, cuts, restarts


async def fold_into(url: str, messages: list[Incoming], cuts: list[int], restarts: set[int]) -> str:
    engine = make_engine(url)
    views = shared_views()
    fold = Fold(views)
    bounds = [0, *cuts, len(messages)]
    try:
        for number, (start, end) in enumerate(itertools.pairwise(bounds)):
            if number in restarts:  # a new process: state comes back from the database only
                fold = Fold(views)
                async with engine.connect() as conn:
                    await fold.load_positions(conn)
            batch = [(m, _decode(m)) for m in messages[start:end]]
            async with engine.begin() as conn:
                await fold.apply_batch(conn, batch)
        async with engine.connect() as conn:
            return await view_digest(conn, views)
    finally:
        await engine.dispose()


def _decode(message: Incoming) -> object:
    from ess_contracts.codec import decode

    return decode(message.subject, message.data, message.headers, PILOTS.trust)


async def digest_of(backend: str, folder: Path, case: tuple[list[Incoming], list[int], set[int]]) -> str:
    async with database_url(backend, folder) as url:
        await upgrade(url)
        return await fold_into(url, *case)


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_events_same_digest_in_any_interleaving(backend: str, tmp_path: Path) -> None:
    in_order = ([incoming(i, 0) for i in range(len(WIRES))], [], set[int]())
    reference = asyncio.run(digest_of(backend, tmp_path, in_order))

    @settings(
        max_examples=12 if backend == "postgres" else 30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(deliveries())
    def check(case: tuple[list[Incoming], list[int], set[int]]) -> None:
        assert asyncio.run(digest_of(backend, tmp_path / uuid.uuid4().hex[:6], case)) == reference

    check()
