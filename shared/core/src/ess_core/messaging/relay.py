"""The relay: publishes unpublished outbox rows to JetStream and marks them after the PubAck.

It selects by "not yet published", never by "after the last position seen", so a row whose transaction
committed after a higher position (the outbox gap) is still picked up on the next pass. A crash between
the PubAck and the mark publishes the row again: within the duplicate window the broker drops it
(`Nats-Msg-Id` = event id); after it, the views drop it by event id.

A stream at its byte or message limit refuses new events (`discard: new`, deploy/stream.json) rather than
dropping old ones: the rows stay in the outbox, the relay says so at ERROR level (`StreamFull`) and tries
again until the operator makes room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import PubAck
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_contracts.codec import MSG_ID
from ess_contracts.subjects import STREAM
from ess_core.messaging.projection import stop_if_cancelled
from ess_core.messaging.schema import outbox
from ess_core.tracing.publishing import PublishSpans, publish_spans

log = logging.getLogger(__name__)

BeforeMark = Callable[[Sequence[PubAck]], Awaitable[None]]
PendingRow = Row[Any, Any, Any, Any, Any]  # position, subject, data, headers, trace context


class StreamFull(RuntimeError):
    """The stream is at its limit: nothing more is stored until the operator raises it."""


async def full_stream(js: JetStreamContext, next_size: int) -> StreamFull | None:
    """Why acks did not come, when the reason is the stream's limit. nats-py's `publish_async` raises the
    broker's "maximum bytes exceeded" inside its reply handler, so the ack future is never completed and
    the refusal shows as a timeout: the stream's own figures tell the two apart."""
    info = await js.stream_info(STREAM)
    limit, state = info.config, info.state
    if limit.max_bytes is not None and 0 < limit.max_bytes < state.bytes + next_size:
        return StreamFull(f"stream {STREAM} is full: {state.bytes} of {limit.max_bytes} bytes")
    if limit.max_msgs is not None and 0 < limit.max_msgs <= state.messages:
        return StreamFull(f"stream {STREAM} is full: {state.messages} of {limit.max_msgs} messages")
    return None


def _retrieve(task: asyncio.Task[None]) -> None:
    """A mark that failed while the pass failed for another reason is not reported twice."""
    if not task.cancelled():
        task.exception()


# Built once: a relay pass is a statement or two, and building one (and its cache key) costs as much.
_PENDING = (
    select(outbox.c.position, outbox.c.subject, outbox.c.data, outbox.c.headers, outbox.c.trace_context)
    .where(outbox.c.stream_seq.is_(None))
    .order_by(outbox.c.position)
)
_MARK = update(outbox).where(outbox.c.position == bindparam("pos")).values(stream_seq=bindparam("seq"))


class Relay:
    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        batch_size: int = 500,
        idle_poll: float = 0.2,
        publish_timeout: float = 5.0,
        before_mark: BeforeMark | None = None,
    ) -> None:
        self.engine = engine
        self.js = js
        self.batch_size = batch_size
        self.idle_poll = idle_poll
        self.publish_timeout = publish_timeout
        self.before_mark = before_mark  # a seam for fault tests: crash after the PubAck, before the mark
        self.published = 0
        self._pending_query = _PENDING.limit(batch_size)
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        """Called after a commit that added rows, so they leave without waiting for the next poll."""
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        while True:
            stop_if_cancelled()
            try:
                sent = await self.publish_pending()
                if sent == self.batch_size:  # a backlog (a restart, a burst): pipelined until it is gone
                    await self.drain()
                backoff = 0.1
            except StreamFull as full:  # loud: no event is stored until the operator makes room
                log.error("%s; the outbox keeps the events; retrying in %.1fs", full, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except Exception:  # broker or database away: keep the rows, try again later
                log.warning("relay pass failed; retrying in %.1fs", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self.batch_size:
                await self._wait()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.idle_poll):  # wait_for can swallow a cancel in 3.11
                await self._wake.wait()
        self._wake.clear()

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of unpublished rows, pipelined, then mark them."""
        rows = await self._pending()
        if not rows:
            return 0
        acks = await self._publish_all(rows)
        if self.before_mark is not None:
            await self.before_mark(acks)
        await self._mark(rows, acks)
        return len(rows)

    async def drain(self) -> int:
        """Publish until nothing is pending (a backlog, tests, `ess republish`, shutdown).

        Pipelined: a batch's mark commits while the next batch is read and published. The next read skips
        the rows still being marked, nothing else, so a row committed late (the outbox gap) is still found;
        each row is still marked only after its PubAck, and a failed mark leaves its rows to publish again.
        """
        total = 0
        marking: asyncio.Task[None] | None = None
        in_flight: list[int] = []
        try:
            while rows := await self._pending(skip=in_flight):
                acks = await self._publish_all(rows)
                if self.before_mark is not None:
                    await self.before_mark(acks)
                if marking is not None:
                    await marking  # one mark at a time: the database has one writer
                marking = asyncio.create_task(self._mark(rows, acks))
                marking.add_done_callback(_retrieve)
                in_flight = [row.position for row in rows]
                total += len(rows)
            if marking is not None:
                await marking
        except BaseException:
            if marking is not None and not marking.done():
                # Let the mark finish rather than cancel it inside its transaction: a task cancelled in
                # the middle of a database call can be left waiting on a connection that the stop then
                # disposes, and the event loop's close waits on it for ever. Rows whose mark fails stay
                # unmarked: published again later, dropped as duplicates.
                await asyncio.wait({marking}, timeout=self.publish_timeout)
                marking.cancel()
            raise
        return total

    async def _pending(self, skip: Sequence[int] = ()) -> list[PendingRow]:
        query = self._pending_query
        if skip:
            query = query.where(outbox.c.position.not_in(skip))
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def _publish_all(self, rows: Sequence[PendingRow]) -> list[PubAck]:
        """Every row sent before any PubAck is awaited (one future each, no request and timer per row); all
        acks within `publish_timeout`, or the pass fails and no row is marked."""
        spans = publish_spans()  # None unless this process traces
        if spans is None:
            return await self._send_all(rows, None)
        try:
            acks = await self._send_all(rows, spans)
        except BaseException as error:
            spans.failed(error)
            raise
        spans.acked([ack.seq for ack in acks])
        return acks

    async def _send_all(self, rows: Sequence[PendingRow], spans: PublishSpans | None) -> list[PubAck]:
        pending: list[asyncio.Future[PubAck]] = []
        try:
            for row in rows:
                headers = json.loads(row.headers)
                if spans is not None:  # a publish span in the act's trace, named in the headers
                    headers.update(spans.start(row.subject, headers[MSG_ID], row.trace_context))
                elif row.trace_context is not None:  # not tracing here: the trace still crosses
                    headers.update(json.loads(row.trace_context))
                pending.append(
                    await self.js.publish_async(row.subject, row.data, stream=STREAM, headers=headers)
                )
            async with asyncio.timeout(self.publish_timeout):
                return list(await asyncio.gather(*pending))
        except TimeoutError:
            full = await full_stream(self.js, min(len(row.data) for row in rows))
            if full is None:
                raise
            raise full from None
        finally:
            for future in pending:  # after a failure: forget the acks still awaited
                future.cancel()

    async def _mark(self, rows: Sequence[PendingRow], acks: Sequence[PubAck]) -> None:
        params = [{"pos": row.position, "seq": ack.seq} for row, ack in zip(rows, acks, strict=True)]
        async with self.engine.begin() as conn:
            await conn.execute(_MARK, params)
        self.published += len(rows)


async def republish_all(
    engine: AsyncEngine,
    js: JetStreamContext,
    batch_size: int = 500,
    on_progress: Callable[[int], object] = lambda _: None,
) -> int:
    """Publish the whole journal again (after a lost stream), telling ``on_progress`` the count published
    after each batch. Duplicates are harmless by design."""
    async with engine.begin() as conn:
        await conn.execute(update(outbox).values(stream_seq=None))
    # One pass at a time, not pipelined: the service's own relay works on the same rows meanwhile.
    relay, total = Relay(engine, js, batch_size=batch_size), 0
    while sent := await relay.publish_pending():
        total += sent
        on_progress(total)
    return total
