"""Rules with versions, against a real nats-server and real databases: an act checked under a newer rules
version travels in a newer payload version, which a service still on the older catalogue parks (it never
judges it by rules it does not know) and applies once upgraded, ending on the digest of a service that
was upgraded all along."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from ess_contracts import codec
from ess_contracts.catalogue import current_version
from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import view_digest
from ess_core.messaging.recovery import GuardedRunner, retry_parked_unknown
from ess_core.messaging.schema import parked
from ess_core.service.migrate import upgrade
from ess_views import shared_views
from ess_views.funding_plan.tables import decision as decision_rows
from tests.support import events as ev
from tests.support.funding_story import decision
from tests.support.harness import publish
from tests.support.pilots import Pilots


def older_catalogue(event_type: str) -> int | None:
    """The catalogue before rules had versions: decisions were at payload version 1."""
    return 1 if event_type == "project_decision_recorded" else current_version(event_type)


async def runner(url: str, js: object, pilots: Pilots, durable: str) -> GuardedRunner:
    found = GuardedRunner(make_engine(url), js, pilots.trust, shared_views(), durable=durable)
    await found.start()
    return found


async def catch_up(view: GuardedRunner, last_seq: int) -> None:
    for _ in range(50):
        if view.last_seq >= last_seq:
            return
        try:
            await view.handle(await view._sub.fetch(10, timeout=0.5))
        except TimeoutError:
            continue
    raise AssertionError(f"view stuck at {view.last_seq} < {last_seq}")


async def digest(view: GuardedRunner) -> str:
    async with view.engine.connect() as conn:
        return await view_digest(conn, shared_views())


async def test_an_older_service_parks_an_act_of_newer_rules_and_applies_it_once_upgraded(
    db_url: str, js_stream: tuple, pilots: Pilots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, js = js_stream
    pid = "region-p1"
    submitted = ev.wire(pilots.signers, "region", ev.event(ev.submitted(), "region", "intake", pid, 1))
    granted = decision("d1", 40_000_00, date(2026, 4, 1))
    assert granted.rules_version == 2 and current_version("project_decision_recorded") == 3  # details sealed
    decided = ev.wire(pilots.signers, "state", ev.event(granted, "state", "funding", pid, 1))
    last = await publish(js, [submitted, decided])

    reference = f"sqlite+aiosqlite:///{tmp_path / 'upgraded.db'}"
    await upgrade(reference)
    upgraded = await runner(reference, js, pilots, "upgraded")
    await catch_up(upgraded, last)

    with monkeypatch.context() as older:
        older.setattr(codec, "current_version", older_catalogue)
        old = await runner(db_url, js, pilots, "older")
        await catch_up(old, last)
        async with old.engine.connect() as conn:
            reasons = (await conn.scalars(select(parked.c.reason))).all()
            assert (await conn.scalars(select(decision_rows.c.decision_id))).all() == []
        assert reasons == ["project_decision_recorded version 3 is newer than this catalogue (1)"]
        assert await digest(old) != await digest(upgraded)

    [retried] = await retry_parked_unknown(old)  # at the upgraded service's start
    assert retried.outcome == "applied", retried
    async with old.engine.connect() as conn:
        versions = (await conn.scalars(select(decision_rows.c.rules_version))).all()
    assert versions == [2]
    assert await digest(old) == await digest(upgraded)
    for view in (old, upgraded):
        await view.engine.dispose()
