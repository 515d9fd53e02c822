"""From the stream to the delivery log: the chosen event types, verified, one delivery per webhook,
recorded before the message is acked (a crash between the two records nothing twice: the delivery's id
names the webhook, the generation and the event)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.codec import Rejected, decode
from ess_contracts.signing import TrustStore
from ess_core.messaging.db import insert_ignoring_conflicts, upsert
from ess_core.messaging.pulling import Puller
from ess_core.messaging.schema import webhook_cursor, webhook_delivery
from ess_core.notify.notices import now_text
from ess_core.webhooks.config import Webhook

log = logging.getLogger(__name__)
STREAM = "ESS"
CURSOR = "webhooks"
BATCH = 100
PULL_S = 1.0
REPLAY_WAIT_S = 5.0
"""The longest a pull waits (`messaging.pulling`): a replay asked for starts within it."""

Start = int | datetime  # a stream sequence, or an instant
Subscription = JetStreamContext.PullSubscription


class WebhookListener:
    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        trust: TrustStore,
        hooks: Sequence[Webhook],
        durable: str,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    ) -> None:
        self.engine, self.js, self.trust, self.hooks = engine, js, trust, hooks
        self.durable, self.transaction = durable, transaction
        self.generation = 0
        self._replay: asyncio.Queue[Start] = asyncio.Queue()

    async def run(self) -> None:
        self.generation = await self._generation()
        sub = await self._first_subscription()
        pulls = Puller(sub, BATCH, PULL_S, longest=REPLAY_WAIT_S)
        try:
            while True:
                if not self._replay.empty():
                    sub = await self._restart(sub, self._replay.get_nowait())
                    pulls = Puller(sub, BATCH, PULL_S, longest=REPLAY_WAIT_S)
                await self._next_batch(pulls)
        finally:  # an open pull request would hold the connection's drain at stop
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _first_subscription(self) -> Subscription:
        """The durable consumer as it stands (a restart resumes it), once the broker answers."""
        while True:
            try:
                return await self._subscribe(None)
            except Exception:  # the broker away at start: try again shortly
                log.warning("webhooks: cannot bind the consumer yet; trying again", exc_info=True)
                await asyncio.sleep(1.0)

    async def _next_batch(self, pulls: Puller) -> None:
        try:
            messages = await pulls.pull()
        except Exception:  # the broker away: try again shortly
            log.warning("webhooks: reading the stream failed; trying again", exc_info=True)
            await asyncio.sleep(1.0)
            return
        if not messages:
            return
        await self._record(messages)
        for message in messages:
            await message.ack()

    async def replay(self, start: Start) -> int:
        """From `start` on, every chosen event is delivered again, under the next generation."""
        await self._replay.put(start)
        return self.generation + 1

    async def _record(self, messages: Sequence[Msg]) -> None:
        rows = []
        for message in messages:
            event_type = message.subject.rsplit(".", 1)[-1]
            chosen = [h for h in self.hooks if event_type in h.events]
            if not chosen:
                continue
            try:
                event = decode(message.subject, message.data, message.headers, self.trust)
            except Rejected as exc:
                log.warning("webhooks: %s not delivered: %s", message.subject, exc)
                continue
            seq = message.metadata.sequence.stream
            body = json.dumps(
                {"stream_sequence": seq, "event": json.loads(event.model_dump_json())}, sort_keys=True
            )
            now = now_text()
            rows += [
                {
                    "delivery_id": f"{hook.name}:{self.generation}:{event.id}",
                    "webhook": hook.name,
                    "generation": self.generation,
                    "event_id": event.id,
                    "event_type": event_type,
                    "stream_seq": seq,
                    "body": body,
                    "state": "pending",
                    "attempts": 0,
                    "next_try_at": now,
                    "created_at": now,
                }
                for hook in chosen
            ]
        if rows:
            async with self.transaction() as conn:
                await insert_ignoring_conflicts(conn, webhook_delivery, rows)

    async def _generation(self) -> int:
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                select(webhook_cursor.c.generation).where(webhook_cursor.c.name == CURSOR)
            )
        return int(found or 0)

    async def _restart(self, sub: Subscription, start: Start) -> Subscription:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(STREAM, self.durable)
        self.generation += 1
        row = {
            "name": CURSOR,
            "generation": self.generation,
            "replayed_from": str(start) if isinstance(start, int) else start.isoformat(),
            "replayed_at": now_text(),
        }
        async with self.transaction() as conn:
            await upsert(conn, webhook_cursor, [row], ["name"])
        log.info("webhooks: replay from %s, generation %d", row["replayed_from"], self.generation)
        return await self._subscribe(start)

    async def _subscribe(self, start: Start | None) -> Subscription:
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_ack_pending=BATCH * 4
        )
        if isinstance(start, int):
            config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, start
        elif isinstance(start, datetime):
            config.deliver_policy = DeliverPolicy.BY_START_TIME
            config.opt_start_time = start
        return await self.js.pull_subscribe("ess.>", durable=self.durable, stream=STREAM, config=config)
