"""Property: forged events (a pilot speaking for an aggregate it does not own) change no view, whatever
the interleaving: the digest of genuine and forged events together equals the digest of the genuine
events alone, and every forgery is dead-lettered with "not the owner".

The forgeries are signed with the forger's own, valid key (the broker lets each pilot publish under its
own prefix only, so that is all a pilot acting in bad faith can do). Drives the projection fold directly
with real databases (SQLite, and PostgreSQL when set), as test_order_independence.py does.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import Fold, Incoming
from ess_core.messaging.schema import dead_letters
from ess_core.service.migrate import upgrade
from ess_views import shared_views
from tests.support import events as ev
from tests.support.databases import BACKENDS, database_url
from tests.support.pilots import Pilots

PILOTS = Pilots.generate()
GENUINE = [e for n in range(2) for e in ev.project_story(f"region-p{n}") + ev.followup_story(f"region-p{n}")]


def forgeries() -> list[tuple[str, Event]]:
    """Each pilot's own key, another pilot's aggregate: withdraw, a competing creation, a retitle, an act
    about an id that names no owner, a checkpoint reporting for another pilot's service."""
    return [
        ("state", ev.event(ev.withdrawn(), "state", "intake", "region-p0", 1)),
        ("state", ev.event(ev.submitted("Titre usurpé"), "state", "intake", "region-p1", 1)),
        ("bdt", ev.event(ev.submitted("Autre"), "bdt", "intake", "region-p1", 1)),
        ("bdt", ev.event(ev.qualified(), "bdt", "intake", "region-p0", 7)),
        ("state", ev.event(ev.decided("d9", 1_000_00), "state", "funding", "p0", 1)),
        ("state", ev.event(ev.checkpoint_for("region-funding"), "state", "ops", "funding", 1)),
    ]


FORGED = forgeries()
WIRES = [ev.wire(PILOTS.signers, p, e) for p, e in [*GENUINE, *FORGED]]
GENUINE_COUNT = len(GENUINE)


def incoming(index: int) -> Incoming:
    wire = WIRES[index]
    return Incoming(index + 1, wire.subject, wire.data, dict(wire.headers))


def decoded(message: Incoming) -> Event | Rejected:
    try:
        return decode(message.subject, message.data, message.headers, PILOTS.trust)
    except Rejected as rejected:
        return rejected


async def fold(url: str, order: list[int]) -> tuple[str, list[str]]:
    """The shared views' digest after folding `order` in one batch each, and the dead letters' reasons."""
    engine = make_engine(url)
    views = shared_views()
    runner = Fold(views)
    try:
        for index in order:
            message = incoming(index)
            async with engine.begin() as conn:
                await runner.apply_batch(conn, [(message, decoded(message))])
        async with engine.connect() as conn:
            reasons = list((await conn.scalars(select(dead_letters.c.reason))).all())
            assert await conn.scalar(select(func.count()).select_from(dead_letters)) == len(reasons)
            return await view_digest(conn, views), reasons
    finally:
        await engine.dispose()


async def digest_of(backend: str, folder: Path, order: list[int]) -> tuple[str, list[str]]:
    async with database_url(backend, folder) as url:
        await upgrade(url)
        return await fold(url, order)


def test_every_forgery_is_refused_by_decoding_with_the_reason() -> None:
    reasons = [decoded(incoming(GENUINE_COUNT + i)) for i in range(len(FORGED))]
    assert all(isinstance(r, Rejected) and not r.park for r in reasons), reasons
    assert all(str(r).startswith("not the owner of ") for r in reasons), reasons
    assert "it is region's intake's; state's intake may not emit project_withdrawn" in str(reasons[0])
    assert all(isinstance(decoded(incoming(i)), Event) for i in range(GENUINE_COUNT))


@pytest.mark.parametrize("backend", BACKENDS)
def test_forgeries_change_no_view_in_any_interleaving(backend: str, tmp_path: Path) -> None:
    reference, none = asyncio.run(digest_of(backend, tmp_path / "genuine", list(range(GENUINE_COUNT))))
    assert none == []

    @settings(
        max_examples=8 if backend == "postgres" else 25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.permutations(range(len(WIRES))))
    def check(order: list[int]) -> None:
        digest, reasons = asyncio.run(digest_of(backend, tmp_path / uuid.uuid4().hex[:6], order))
        assert digest == reference
        assert len(reasons) == len(FORGED) and all(r.startswith("not the owner of ") for r in reasons)

    check()
