"""The funding plan judged once per project per batch (the runner's `fold` then `finish`) leaves the rows
of judging it after every event (`apply`), which the funding service's own acts still do."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from ess_contracts.canonical import canonical_bytes
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import FinishingView, Fold, Incoming
from ess_core.service.migrate import upgrade
from ess_views.funding_plan.fold import PlanView
from tests.support.funding_story import story


def _events() -> list:  # type: ignore[type-arg]
    return [event for n in range(3) for _, event in story(f"p{n}")]


async def _digest(url: str) -> str:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        digest = await view_digest(conn, [PlanView()])
    await engine.dispose()
    return digest


@pytest.mark.parametrize("batches", [1, 2, 5])
async def test_judging_once_per_batch_leaves_the_rows_of_judging_after_every_event(
    tmp_path: Path, batches: int
) -> None:
    assert isinstance(PlanView(), FinishingView)
    events = _events()
    one_by_one, batched = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    for url in (one_by_one, batched):
        await upgrade(url)

    engine = create_async_engine(one_by_one)
    async with engine.begin() as conn:
        view = PlanView()
        for event in events:
            await view.apply(conn, event)
    await engine.dispose()

    engine = create_async_engine(batched)
    fold = Fold([PlanView()])
    size = -(-len(events) // batches)
    for start in range(0, len(events), size):
        part = events[start : start + size]
        items = [(Incoming(start + i + 1, e.subject, canonical_bytes(e), {}), e) for i, e in enumerate(part)]
        async with engine.begin() as conn:
            await fold.apply_batch(conn, items)
    await engine.dispose()

    assert await _digest(batched) == await _digest(one_by_one)


def test_events_the_plan_is_not_judged_after_write_only_facts_no_rule_reads() -> None:
    from ess_views.funding_plan import tables as t
    from ess_views.funding_plan.fold import UNJUDGED_TYPES
    from tests.unit.test_catalogue_payloads import EXAMPLES, _event

    unjudged = {table.name for table in t.UNJUDGED}
    found = {e.type for e in map(_event, EXAMPLES) if e.type in UNJUDGED_TYPES}
    assert found == UNJUDGED_TYPES
    for payload in EXAMPLES:
        event = _event(payload)
        if event.type in UNJUDGED_TYPES:
            assert {w.table.name for w in PlanView().writes(event)} <= unjudged, event.type
