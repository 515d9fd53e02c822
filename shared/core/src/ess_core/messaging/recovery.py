"""Putting things right after a fault: re-applying what was parked or dead-lettered, and taking a
service's own newer events back from the stream when its database was restored from an older backup.

**Re-applying** (`ess dlq retry`, and at start for parked unknown types) goes through the same fold as
the projection runner, in one transaction with the bookkeeping: the stored bytes are verified again
(signature, type, version), the row leaves the dead letters or the parked events, and the fold either
applies the event or puts it back with the reason of today. The runner is kept out meanwhile
(`GuardedRunner`): the fold's in-memory cache of issuer positions must never see two transactions.

**Transient failures** (database unavailable) are not rejections: the runner leaves the whole batch
unacked and naks it with a delay that doubles up to 10 s, and the durable consumer is created without
`max_deliver`, so the server never gives a message up. Deliveries are bounded in rate, not in number:
a count limit would turn "PostgreSQL was down for an hour" into silently terminated events, which is
the one outcome a shared record must not have. Nothing reaches the dead letters for a transient cause,
so nothing needs a manual retry once the database is back.

**Journal recovery**: a service whose database was restored from an older backup has lost the rows of
acts it decided (and published) after that backup. Before its relay runs, it reads its own subjects
`ess.<pilot>.<service>.>` on the stream from just after the highest stream sequence its journal knows,
verifies each message as any partner would, and inserts the missing events as already-published journal
rows. The outbox allocates the next sequence of an aggregate from the journal's highest one, so it
continues after them and never issues a second, different decision with a sequence already on the
stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION, Rejected, decode
from ess_contracts.event import Event
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.db import insert_ignoring_conflicts
from ess_core.messaging.projection import BatchOutcome, Incoming, ProjectionRunner
from ess_core.messaging.reader import StoredMessage, read_stream
from ess_core.messaging.schema import consumer_position, dead_letters, outbox, parked

log = logging.getLogger(__name__)

JOURNAL_HEADERS = frozenset({MSG_ID, KEY, SIGNATURE, VERSION})  # what the outbox stores, as encode() wrote


class GuardedRunner(ProjectionRunner):
    """The projection runner with a lock around each batch, so an operator's re-apply never runs its
    fold beside a batch (both share the fold's cache of issuer positions and applied count)."""

    def __init__(self, *args: object, exclusive: asyncio.Lock | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # the service's own lock when given: its checkpoints settle the kept digests under it too
        self.exclusive = exclusive or asyncio.Lock()

    async def handle(self, messages: Sequence[Msg]) -> BatchOutcome:
        async with self.exclusive:
            return await super().handle(messages)


async def keep_running(runner: GuardedRunner, most: float = 10.0) -> None:
    """Run the projection for good. `run_started` lets fetch errors other than a timeout escape: a 503
    while a cluster has no quorum or elects a consumer leader, a consumer gone with a deleted stream.
    Such an error must not end the projection (it would stop applying events, silently): log it, wait
    (doubling, at most `most` seconds) and fetch again; bind the durable consumer anew only if it is gone."""
    backoff = 0.5
    while True:
        try:
            await runner.run_started()
        except Exception:
            log.warning("projection fetch failed; again in %.1fs", backoff, exc_info=True)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, most)
            with contextlib.suppress(Exception):  # still unreachable: the next round tells
                await _bind_if_gone(runner)


async def _bind_if_gone(runner: GuardedRunner) -> None:
    try:
        await runner.js.consumer_info(STREAM, runner.durable)
    except NotFoundError:
        log.warning("durable consumer %s is gone (stream recreated?): creating it again", runner.durable)
        async with runner.exclusive:
            await runner.stop()
            await runner.start()


@dataclass(frozen=True)
class RetryResult:
    stream_seq: int
    was: str  # dead | gap | unknown
    outcome: str  # applied | duplicate | parked | dead
    reason: str | None = None


class NotRejected(LookupError):
    """No dead letter nor parked event at that stream sequence."""


async def retry(runner: GuardedRunner, stream_seq: int) -> RetryResult:
    """Verify the stored bytes again and fold them in one transaction with the bookkeeping."""
    async with runner.exclusive:
        try:
            async with runner.engine.begin() as conn:
                await runner.fold.load_positions(conn)
                dead = (
                    await conn.execute(select(dead_letters).where(dead_letters.c.stream_seq == stream_seq))
                ).first()
                held = (await conn.execute(select(parked).where(parked.c.stream_seq == stream_seq))).first()
                row = dead or held
                if row is None:
                    raise NotRejected(f"nothing dead-lettered or parked at stream sequence {stream_seq}")
                was = "dead" if dead is not None else str(row.kind)
                table = dead_letters if dead is not None else parked
                await conn.execute(delete(table).where(table.c.stream_seq == stream_seq))
                deliveries = int(dead.deliveries) if dead is not None else 1
                message = Incoming(stream_seq, row.subject, row.data, json.loads(row.headers), deliveries)
                item = runner.decode(message)
                outcome = await runner.fold.apply_batch(conn, [item])
                result = await _describe(conn, stream_seq, was, outcome, item[1])
        except Exception:
            await runner.rolled_back()
            raise
    return result


async def _describe(
    conn: AsyncConnection, stream_seq: int, was: str, outcome: BatchOutcome, decoded: Event | Rejected
) -> RetryResult:
    """What became of a retried message: applied, a duplicate, or back among the dead or the parked."""
    if outcome.applied:
        return RetryResult(stream_seq, was, "applied")
    if outcome.duplicates:
        return RetryResult(stream_seq, was, "duplicate", "already applied")
    again = await conn.scalar(select(dead_letters.c.reason).where(dead_letters.c.stream_seq == stream_seq))
    if again is not None:
        return RetryResult(stream_seq, was, "dead", str(again))
    held = await conn.scalar(select(parked.c.reason).where(parked.c.stream_seq == stream_seq))
    if held is not None:
        return RetryResult(stream_seq, was, "parked", str(held))
    reason = decoded.reason if isinstance(decoded, Rejected) else "bookkeeping event, nothing to apply"
    return RetryResult(stream_seq, was, "applied" if isinstance(decoded, Event) else "dead", reason)


async def retry_parked_unknown(runner: GuardedRunner) -> list[RetryResult]:
    """At start: events parked because this service did not know their type or version are tried
    again, so an upgraded service applies them without anyone asking."""
    async with runner.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(parked.c.stream_seq, parked.c.subject, parked.c.data, parked.c.headers)
                .where(parked.c.kind == "unknown")
                .order_by(parked.c.stream_seq)
            )
        ).all()
    results = []
    for row in rows:
        decoded = runner.decode(Incoming(row.stream_seq, row.subject, row.data, json.loads(row.headers)))[1]
        if isinstance(decoded, Rejected) and decoded.park:
            continue  # still unknown here: stays parked, untouched
        results.append(await retry(runner, row.stream_seq))
    return results


@dataclass(frozen=True)
class Recovered:
    read: int
    inserted: int
    from_seq: int


async def recover_journal(
    engine: AsyncEngine,
    js: JetStreamContext,
    trust: TrustStore,
    pilot: str,
    service: str,
    *,
    batch: int = 500,
) -> Recovered:
    """Take this service's own events that the stream holds and its journal lost back into the journal,
    as published rows (see the module's docstring). One request when there is nothing to recover."""
    async with engine.connect() as conn:
        known = await conn.scalar(select(func.max(outbox.c.stream_seq))) or 0
    own = f"ess.{pilot}.{service}.>"
    try:
        last_own = (await js.get_last_msg(STREAM, own)).seq or 0
    except NotFoundError:
        last_own = 0
    if last_own <= known:
        return Recovered(0, 0, known + 1)
    # Read by direct get from just after what the journal knows (a pilot may create no other consumer).
    read = inserted = 0
    rows: list[dict[str, object]] = []
    async for message in read_stream(js, own, known + 1, last_own):
        read += 1
        row = _journal_row(message, trust, pilot, service)
        if row is not None:
            rows.append(row)
        if len(rows) >= batch:
            inserted += await _insert_missing(engine, rows)
            rows = []
    inserted += await _insert_missing(engine, rows)
    if inserted:
        log.warning("journal recovery: %s events of this service were on the stream only; restored", inserted)
    return Recovered(read, inserted, known + 1)


async def _insert_missing(engine: AsyncEngine, rows: list[dict[str, object]]) -> int:
    if not rows:
        return 0
    async with engine.begin() as conn:
        ids = [str(r["event_id"]) for r in rows]
        present = set((await conn.scalars(select(outbox.c.event_id).where(outbox.c.event_id.in_(ids)))).all())
        missing = [r for r in rows if r["event_id"] not in present]
        await insert_ignoring_conflicts(conn, outbox, missing, ["event_id"])
    return len(missing)


async def replay_if_views_behind(engine: AsyncEngine, js: JetStreamContext, durable: str) -> bool:
    """A database restored from a backup holds views older than what its durable consumer has acked:
    those acked events would never come again. Drop the consumer, so the runner creates it anew from the
    first event; what the views already hold is skipped by event id. Returns whether it had to."""
    async with engine.connect() as conn:
        seen = await conn.scalar(
            select(consumer_position.c.stream_seq).where(consumer_position.c.consumer == "view")
        )
    try:
        info = await js.consumer_info(STREAM, durable)
    except NotFoundError:
        return False
    if info.ack_floor is None or (info.ack_floor.stream_seq or 0) <= (seen or 0):
        return False
    log.warning("views at stream sequence %s, consumer acked %s: replaying", seen, info.ack_floor.stream_seq)
    await js.delete_consumer(STREAM, durable)
    return True


def _journal_row(
    message: StoredMessage, trust: TrustStore, pilot: str, service: str
) -> dict[str, object] | None:
    headers = {k: v for k, v in message.headers.items() if k in JOURNAL_HEADERS}
    try:
        event = decode(message.subject, message.data, headers, trust)
    except Rejected as rejected:
        log.warning("journal recovery: skipping stream sequence %s: %s", message.stream_seq, rejected.reason)
        return None
    if (event.pilot, event.service) != (pilot, service):
        return None
    return {
        "event_id": event.id,
        "subject": message.subject,
        "aggregate": event.aggregate,
        "aggregate_id": event.aggregate_id,
        "sequence": event.sequence,
        "journal": event.journal,
        "data": message.data,
        "headers": json.dumps(headers, sort_keys=True),
        "stream_seq": message.stream_seq,
    }
