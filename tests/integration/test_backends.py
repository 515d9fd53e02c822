"""One contract suite, both backends: the outbox gap on PostgreSQL, and the same bytes everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ess_contracts.ops import ProbeSent
from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import outbox
from ess_core.service.migrate import upgrade
from ess_views.followup import orientation, review
from ess_views.project import decision, project
from tests.support import events as ev
from tests.support.databases import database_url
from tests.support.harness import ViewHolder, publish
from tests.support.pilots import Pilots


async def test_postgres_rows_committed_out_of_position_order_are_all_published(
    tmp_path: Path,
    js_stream: tuple,
) -> None:
    _, js = js_stream
    pilots = Pilots.generate()
    box = Outbox("region", "ops", pilots.signers["region"])
    async with database_url("postgres", tmp_path) as url:
        await upgrade(url)
        engine = make_engine(url)
        relay = Relay(engine, js)
        async with engine.connect() as slow:
            await slow.begin()
            await box.record(slow, "probe-low", [ProbeSent(note="takes the lower position")])
            async with engine.begin() as fast:
                await box.record(fast, "probe-high", [ProbeSent(note="commits first")])
            assert await relay.drain() == 1  # only the committed higher position is visible
            await slow.commit()
        assert await relay.drain() == 1  # the lower position, committed late, is not skipped
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(outbox.c.position, outbox.c.stream_seq).order_by("position"))
            ).all()
        assert [r.stream_seq for r in rows] == [2, 1]
        assert (await js.stream_info("ESS")).state.messages == 2
        await engine.dispose()


async def test_sqlite_and_postgres_hold_byte_identical_views(tmp_path: Path, js_stream: tuple) -> None:
    _, js = js_stream
    pilots = Pilots.generate()
    story = [
        e for n in range(3) for e in ev.project_story(f"region-p{n}") + ev.followup_story(f"region-p{n}")
    ]
    last = await publish(js, [ev.wire(pilots.signers, p, e) for p, e in story])
    dumps, digests = {}, {}
    for backend in ("sqlite", "postgres"):
        async with database_url(backend, tmp_path) as url:
            await upgrade(url)
            view = await ViewHolder.start(url, js, pilots, f"region-{backend}")
            await view.catch_up(last)
            digests[backend] = await view.digest()
            async with view.engine.connect() as conn:
                dumps[backend] = [
                    [tuple(r) for r in (await conn.execute(select(t).order_by(*t.primary_key.columns))).all()]
                    for t in (project, decision, orientation, review)
                ]
            await view.close()
    assert dumps["sqlite"] == dumps["postgres"]
    assert digests["sqlite"] == digests["postgres"]
    assert [len(rows) for rows in dumps["sqlite"]] == [3, 9, 6, 6]


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    from tests.support.databases import skip_unless_postgres

    skip_unless_postgres()
