"""The pipelined relay (a batch marked while the next one is read and published) publishes each row once
and marks every row with its own PubAck."""

from __future__ import annotations

import json
from pathlib import Path

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import select

from ess_core.messaging.db import make_engine, sqlite_url
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import outbox
from ess_core.service.migrate import upgrade
from tests.support.events import decided
from tests.support.pilots import Pilots


async def test_a_backlog_drains_pipelined_each_row_once(
    js_stream: tuple[Client, JetStreamContext], tmp_path: Path
) -> None:
    _, js = js_stream
    url = sqlite_url(str(tmp_path / "relay.db"))
    await upgrade(url)
    engine = make_engine(url)
    pilots = Pilots.generate()
    box = Outbox("state", "funding", pilots.signers["state"])
    try:
        async with engine.begin() as conn:
            for n in range(47):
                await box.record(conn, f"region-p{n % 5}", [decided(f"d{n}", 1_000_00 + n)])
        relay = Relay(engine, js, batch_size=10)
        assert await relay.drain() == 47
        assert await relay.drain() == 0
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(outbox.c.event_id, outbox.c.stream_seq, outbox.c.headers))
            ).all()
        assert sorted(r.stream_seq for r in rows) == list(range(1, 48))  # each published once, each marked
        for row in rows:
            message = await js.get_msg("ESS", row.stream_seq)
            assert message.headers is not None
            assert message.headers["Nats-Msg-Id"] == row.event_id == json.loads(row.headers)["Nats-Msg-Id"]
        assert relay.published == 47
    finally:
        await engine.dispose()
