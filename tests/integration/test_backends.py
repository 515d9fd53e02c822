"""One contract suite, both backends: the outbox gap on PostgreSQL, and the same bytes everywhere."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ess_contracts.codec import WireMessage, encode_journal
from ess_contracts.event import Event
from ess_contracts.key_history import event_hash
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
    """The relay never skips a row committed late below a published one. Acts can no longer do that (the
    next test): a row written beside them, as a hand-made repair would, still can."""
    _, js = js_stream
    pilots = Pilots.generate()
    box = Outbox("region", "ops", pilots.signers["region"])
    async with database_url("postgres", tmp_path) as url:
        await upgrade(url)
        engine = make_engine(url)
        relay = Relay(engine, js)
        async with engine.connect() as slow:
            await slow.begin()
            [late] = encode_journal([ev.probe("probe-low")], pilots.signers["region"], 0, None)
            await slow.execute(outbox.insert(), [_row(*late)])  # takes the lower position
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


async def test_postgres_acts_take_their_journal_numbers_one_after_another(tmp_path: Path) -> None:
    """Two acts at once: the second waits for the first to commit, then takes the next number, chained to
    the first's bytes. A gap or a fork would leave a retired key's end unable to vouch for its events."""
    box = Outbox("region", "ops", Pilots.generate().signers["region"])
    async with database_url("postgres", tmp_path) as url:
        await upgrade(url)
        engine = make_engine(url)
        async with engine.connect() as first:
            await first.begin()
            [one] = await box.record(first, "probe-1", [ProbeSent()])

            async def second() -> Event:
                async with engine.begin() as conn:
                    [two] = await box.record(conn, "probe-2", [ProbeSent()])
                    return two

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # held at the journal's head until the first commits
            await first.commit()
        two = await asyncio.wait_for(waiting, 10)
        async with engine.connect() as conn:
            first_bytes = await conn.scalar(select(outbox.c.data).where(outbox.c.event_id == one.id))
        assert (one.journal, two.journal, two.previous) == (1, 2, event_hash(first_bytes))
        await engine.dispose()


def _row(event: Event, wire: WireMessage) -> dict[str, object]:
    return {
        "event_id": event.id,
        "subject": wire.subject,
        "aggregate": event.aggregate,
        "aggregate_id": event.aggregate_id,
        "sequence": event.sequence,
        "data": wire.data,
        "headers": json.dumps(wire.headers, sort_keys=True),
    }


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
