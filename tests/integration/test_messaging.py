"""The messaging core against a real nats-server and real databases (SQLite always, PostgreSQL when set):
outbox, relay, projection runner, dead letters, parking, order independence."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy
from sqlalchemy import func, select

from ess_contracts.codec import WireMessage
from ess_contracts.ops import ProbeSent
from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.relay import Relay, StreamFull
from ess_core.messaging.schema import outbox
from ess_core.service.migrate import upgrade
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support import events as ev
from tests.support.databases import database_url
from tests.support.harness import ViewHolder, publish
from tests.support.pilots import Pilots


async def test_outbox_to_view_end_to_end(db_url: str, js_stream: tuple, pilots: Pilots) -> None:
    _, js = js_stream
    engine = make_engine(db_url)
    box = Outbox("region", "intake", pilots.signers["region"])
    async with engine.begin() as conn:
        await box.record(conn, "region-p1", [ev.submitted(), ev.qualified()])
    assert await Relay(engine, js).drain() == 2
    view = await ViewHolder.start(db_url, js, pilots, "region-intake")
    await view.catch_up(2)
    assert await view.count("applied") == 2
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(outbox.c.stream_seq.is_(None))) == 0
        assert (
            await conn.execute(select(outbox.c.sequence).order_by(outbox.c.position))
        ).scalars().all() == [1, 2]
    await view.close()
    await engine.dispose()


async def _short_window_stream(url: str) -> JetStreamContext:
    nc = await nats.connect(url)
    config = load_stream_config(default_stream_config_path())
    await provision(nc.jetstream(), dataclasses.replace(config, duplicate_window=0.3))
    return nc.jetstream()


async def test_relay_crash_before_mark_republishes_after_window_and_views_apply_once(
    db_url: str, nats_url: str, pilots: Pilots
) -> None:
    js = await _short_window_stream(nats_url)
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await Outbox("region", "ops", pilots.signers["region"]).record(conn, "probe-1", [ProbeSent()])

    async def crash(_acks: object) -> None:
        raise RuntimeError("killed after the PubAck, before the mark")

    with pytest.raises(RuntimeError):
        await Relay(engine, js, before_mark=crash).publish_pending()
    await asyncio.sleep(0.5)  # the duplicate window has passed: the broker keeps a second copy
    assert await Relay(engine, js).drain() == 1
    info = await js.stream_info("ESS")
    assert info.state.messages == 2

    view = await ViewHolder.start(db_url, js, pilots, "region-ops")
    outcomes = await view.catch_up(2)
    assert sum(o.applied for o in outcomes) == 1
    assert sum(o.duplicates for o in outcomes) == 1
    assert await view.count("applied") == 1
    await view.close()
    await engine.dispose()


async def test_redelivered_batch_changes_nothing(db_url: str, js_stream: tuple, pilots: Pilots) -> None:
    _, js = js_stream
    last = await publish(js, [ev.wire(pilots.signers, p, e) for p, e in ev.project_story("region-p1")])
    view = await ViewHolder.start(db_url, js, pilots, "state-funding", ack_wait=1.0)
    messages = await view.runner._sub.fetch(10, timeout=2)
    # Commit without acking: a crash between the view commit and the ack.
    async with view.engine.begin() as conn:
        first = await view.runner.fold.apply_batch(conn, [view.runner.decode(_incoming(m)) for m in messages])
    before = await view.digest()
    redelivered = await view.runner._sub.fetch(10, timeout=5)  # after ack_wait
    assert [m.metadata.num_delivered for m in redelivered] == [2] * len(redelivered)
    second = await view.runner.handle(redelivered)
    assert first.applied == 5 and second.applied == 0 and second.duplicates == 5
    assert await view.digest() == before
    assert view.runner.last_seq == last
    await view.close()


async def test_a_batch_that_fails_while_the_database_is_away_leaves_no_stale_cache(
    db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    """The database goes away at a batch's commit and stays away while the runner reloads its cache: the
    next batch, once it is back, must not trust what the rolled-back batch left in memory (it would count
    the events as applied, or dead-letter them as sequence conflicts). Seen in the fault suite: PostgreSQL
    stopped during a load dead-lettered an event with "sequence conflict: ... already at 5"."""
    _, js = js_stream
    await publish(js, [ev.wire(pilots.signers, p, e) for p, e in ev.project_story("region-p1")])
    view = await ViewHolder.start(db_url, js, pilots, "state-funding", ack_wait=1.0)
    runner, fold = view.runner, view.runner.fold
    real_apply, real_reload = fold.apply_batch, runner.reload

    async def apply_then_lose_the_database(conn: object, items: object) -> object:
        await real_apply(conn, items)  # type: ignore[arg-type]  # the cache has moved...
        raise ConnectionError("database away at commit")  # ...and the transaction rolls back

    async def reload_while_away() -> None:
        raise ConnectionError("database still away")

    fold.apply_batch = apply_then_lose_the_database  # type: ignore[method-assign,assignment]
    runner.reload = reload_while_away  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await runner.handle(await runner._sub.fetch(10, timeout=2))
    fold.apply_batch, runner.reload = real_apply, real_reload  # type: ignore[method-assign]  # back
    outcome = await runner.handle(await runner._sub.fetch(10, timeout=5))  # redelivered after ack_wait
    assert (outcome.applied, outcome.duplicates) == (5, 0)
    assert await view.count("dead") == 0 and await view.count("applied") == 5
    await view.close()


def _incoming(msg: object) -> object:
    from ess_core.messaging.projection import Incoming

    return Incoming.of(msg)  # type: ignore[arg-type]


async def test_rebuild_from_sequence_one_equals_live_view(
    tmp_path: Path, db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    _, js = js_stream
    live = await ViewHolder.start(db_url, js, pilots, "bdt-evaluation", batch_size=3)
    last = 0
    for n in range(4):  # the live view applies as events arrive, in small batches
        last = await publish(js, [ev.wire(pilots.signers, p, e) for p, e in ev.project_story(f"region-p{n}")])
        await live.catch_up(last)
    async with database_url("sqlite", tmp_path) as rebuilt_url:
        await upgrade(rebuilt_url)
        rebuilt = await ViewHolder.start(rebuilt_url, js, pilots, "bdt-evaluation-rebuild", batch_size=500)
        await rebuilt.catch_up(last)
        assert await rebuilt.digest() == await live.digest()
        assert await rebuilt.count("applied") == await live.count("applied") == 20
        await rebuilt.close()
    await live.close()


async def test_interleavings_give_byte_identical_views(tmp_path: Path, pilots: Pilots) -> None:
    story = ev.project_story("region-p1") + ev.project_story("region-p2")
    wires = [ev.wire(pilots.signers, p, e) for p, e in story]
    orders = {
        "as issued": wires,
        "reversed": list(reversed(wires)),  # every issuer's later events first: gaps parked, then filled
        "funders first": sorted(wires, key=lambda w: ".intake." in w.subject),
    }
    digests = {}
    for name, order in orders.items():
        with NatsServer(tmp_path / name.replace(" ", "-")) as server:
            nc = await nats.connect(server.url)
            await provision(nc.jetstream(), load_stream_config(default_stream_config_path()))
            last = await publish(nc.jetstream(), order)
            async with database_url("sqlite", tmp_path) as url:
                await upgrade(url)
                view = await ViewHolder.start(url, nc.jetstream(), pilots, "region-funding", batch_size=2)
                await view.catch_up(last)
                assert await view.count("parked") == 0, name
                digests[name] = await view.digest()
                await view.close()
            await nc.close()
    assert len(set(digests.values())) == 1, digests


async def test_bad_messages_go_to_dead_letters_and_unknown_types_are_parked(
    db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    _, js = js_stream
    good = ev.wire(pilots.signers, "region", ev.event(ev.submitted(), "region", "intake", "region-p1", 1))
    malformed = WireMessage(
        "ess.region.intake.project.region-p2.project_submitted",
        b'{"not": "an event"}',
        {
            **good.headers,
            "Nats-Msg-Id": "m2",
            "Ess-Sig": pilots.signers["region"].sign(b'{"not": "an event"}'),
        },
    )
    forged = dataclasses.replace(
        good, headers={**good.headers, "Nats-Msg-Id": "m3"}, data=good.data.replace(b"scic", b"scop")
    )
    stolen_key = ev.wire(
        pilots.signers, "state", ev.event(ev.submitted(), "region", "intake", "region-p3", 1)
    )
    unknown = WireMessage(
        "ess.region.intake.project.region-p4.project_teleported",
        b"{}",
        {
            "Nats-Msg-Id": "m5",
            "Ess-Key": pilots.signers["region"].public_key,
            "Ess-Sig": pilots.signers["region"].sign(b"{}"),
            "Ess-Version": "1",
        },
    )
    later = ev.wire(pilots.signers, "region", ev.event(ev.qualified(), "region", "intake", "region-p1", 2))
    last = await publish(js, [good, malformed, forged, stolen_key, unknown, later])

    view = await ViewHolder.start(db_url, js, pilots, "region-intake", batch_size=2)
    await view.catch_up(last)
    dead = {row["stream_seq"]: row["reason"] for row in await view.rows("dead")}
    assert sorted(dead) == [2, 3, 4]
    assert dead[2].startswith("malformed")
    assert "signature does not match" in dead[3]
    assert "belongs to 'state', not 'region'" in dead[4]
    parked = await view.rows("parked")
    assert [(r["stream_seq"], r["kind"]) for r in parked] == [(5, "unknown")]
    assert "project_teleported" in parked[0]["reason"] and parked[0]["data"] == b"{}"
    assert await view.count("applied") == 2  # the events around the bad ones applied
    await view.close()


async def test_a_second_copy_of_a_parked_event_does_not_wait_forever(
    db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    _, js = js_stream
    first = ev.wire(pilots.signers, "region", ev.event(ev.submitted(), "region", "intake", "region-p1", 1))
    second = ev.wire(pilots.signers, "region", ev.event(ev.qualified(), "region", "intake", "region-p1", 2))
    copy = dataclasses.replace(second, headers={**second.headers, "Nats-Msg-Id": "republished"})
    view = await ViewHolder.start(db_url, js, pilots, "region-intake", batch_size=1)
    await view.catch_up(await publish(js, [second, copy]))
    assert await view.count("parked") == 1  # one waiting copy, not two
    await view.catch_up(await publish(js, [first]))
    assert await view.count("parked") == 0
    assert await view.count("applied") == 2
    await view.close()


async def test_two_events_claiming_one_issuer_sequence_keep_the_second_as_a_dead_letter(
    db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    _, js = js_stream
    waiting = ev.wire(pilots.signers, "region", ev.event(ev.qualified(), "region", "intake", "region-p1", 2))
    rival = ev.wire(
        pilots.signers, "region", ev.event(ev.submitted("Autre titre"), "region", "intake", "region-p1", 2)
    )
    view = await ViewHolder.start(db_url, js, pilots, "region-intake", batch_size=1)
    await view.catch_up(await publish(js, [waiting, rival]))
    assert await view.count("parked") == 1
    [dead] = await view.rows("dead")
    assert "sequence conflict" in str(dead["reason"]) and dead["data"] == rival.data
    await view.close()


async def test_a_drain_cancelled_while_a_mark_commits_lets_the_mark_finish(
    db_url: str, js_stream: tuple, pilots: Pilots
) -> None:
    """Stopping a service mid-backlog: the mark in flight commits (or fails) before the relay's task
    ends, so nothing is left waiting on a database connection the stop then disposes."""
    _, js = js_stream
    engine = make_engine(db_url)
    box = Outbox("region", "ops", pilots.signers["region"])
    async with engine.begin() as conn:
        await box.record(conn, "probe-1", [ProbeSent() for _ in range(30)])
    relay = Relay(engine, js, batch_size=10)
    marking = asyncio.Event()
    real_mark = relay._mark

    async def slow_mark(rows: object, acks: object) -> None:
        marking.set()
        await asyncio.sleep(0.3)  # the stop arrives while this batch's mark is in flight
        await real_mark(rows, acks)  # type: ignore[arg-type]

    relay._mark = slow_mark  # type: ignore[method-assign]
    before = set(asyncio.all_tasks())
    draining = asyncio.create_task(relay.drain())
    await marking.wait()
    draining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await draining
    marks = [t for t in asyncio.all_tasks() - before if "slow_mark" in repr(t.get_coro())]
    assert [t for t in marks if not t.done()] == [], "a mark outlived the relay"
    async with engine.connect() as conn:
        marked = await conn.scalar(select(func.count()).where(outbox.c.stream_seq.is_not(None)))
    assert marked is not None and marked >= 10, "the batch acked before the stop was marked"
    await engine.dispose()


async def test_a_full_stream_refuses_new_events_and_the_outbox_keeps_them_until_there_is_room(
    db_url: str, nats_url: str, pilots: Pilots, tmp_path: Path
) -> None:
    """`discard: new`: at its byte limit the stream refuses a publish instead of dropping its oldest event;
    the relay keeps the rows and publishes them once the operator makes room. The limit is shared
    (docs/decisions/0001-stream-limits.md): another pilot's relay is refused alike, and flows after."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    config = load_stream_config(default_stream_config_path())
    assert config.discard == DiscardPolicy.NEW
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await Outbox("region", "ops", pilots.signers["region"]).record(conn, "probe-1", [ProbeSent()])
    await provision(js, config)
    assert await Relay(engine, js).drain() == 1
    one = (await js.stream_info("ESS")).state.bytes
    link = len('""') + 64 - len("null")  # "previous": a quoted SHA-256 in hex where the first has null
    room = one * 3 + 2 * link  # three events: the first has no journal predecessor, the next name its hash
    await js.update_stream(dataclasses.replace(config, max_bytes=room))
    async with engine.begin() as conn:
        box = Outbox("region", "ops", pilots.signers["region"])
        for n in range(2, 7):
            await box.record(conn, f"probe-{n}", [ProbeSent()])
    with pytest.raises(StreamFull, match=f"of {room} bytes"):
        await Relay(engine, js, batch_size=1, publish_timeout=1.0).drain()
    state = (await js.stream_info("ESS")).state
    assert (state.first_seq, state.messages) == (1, 3)  # nothing dropped to make room
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.stream_seq.is_(None))
        )
    assert waiting == 3
    other_url = f"sqlite+aiosqlite:///{tmp_path / 'state-ops.db'}"  # another pilot, its own database
    await upgrade(other_url)
    other = make_engine(other_url)
    async with other.begin() as conn:
        await Outbox("state", "ops", pilots.signers["state"]).record(conn, "probe-s", [ProbeSent()])
    with pytest.raises(StreamFull):
        await Relay(other, js, batch_size=1, publish_timeout=1.0).drain()
    await js.update_stream(dataclasses.replace(config, max_bytes=-1))  # the operator makes room
    assert await Relay(engine, js).drain() == 3
    assert await Relay(other, js).drain() == 1
    state = (await js.stream_info("ESS")).state
    assert (state.first_seq, state.messages) == (1, 7)
    await other.dispose()
    await engine.dispose()
    await nc.close()
