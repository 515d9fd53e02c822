"""The projection runner: folds the `ESS` stream into a service's views, a batch per transaction.

Each batch commits its effects together with the ids it applied, then acks, so a redelivery (crash
between commit and ack) changes nothing. One issuer's events apply in that issuer's sequence: a gap is
parked until the missing event arrives. Unknown types or versions are parked for an upgrade; malformed
or unverifiable messages become dead letters; neither blocks the events behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Select, and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.db import insert_ignoring_conflicts, upsert
from ess_core.messaging.digest_ledger import STATE_UPDATE, DigestLedger
from ess_core.messaging.pulling import Puller
from ess_core.messaging.schema import (
    applied,
    consumer_position,
    dead_letters,
    digest_state,
    issuer_position,
    parked,
)
from ess_core.messaging.sqlite_writer import write_together
from ess_core.messaging.view_idiom import View, WritingView, execute_waves, gather
from ess_core.tracing.folding import OFF, fold_batch

log = logging.getLogger(__name__)

IssuerKey = tuple[str, str, str, str]

# Events about the services themselves, not the strategy: acked and counted in the position, but never
# applied to a view nor recorded as applied, so a checkpoint does not change what it reports on.
BOOKKEEPING = frozenset({"checkpoint_recorded"})
POSITION_IDS, POSITION_TERMS = 500, 40  # ids per term, terms per query: bound parameters stay below 32,000
# events written before the fold settles the kept digests itself (digest_ledger): a settle holds its rows'
# hashes in memory, so this bounds its peak (5,000 and 20,000 cost the same CPU, bench/README.md)
SETTLE_AFTER = 5_000
POSITIONS_KEPT = 4096  # issuers whose position stays in memory: some batches' worth, a few hundred KiB


def stop_if_cancelled() -> None:
    """For loops that never end on their own. On Python 3.11 `asyncio.wait_for` (which nats-py uses) can
    lose a cancel that arrives as its future completes; the task still counts the request, so a loop that
    checks it each turn stops instead of running on and hanging whoever awaits it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@runtime_checkable
class FinishingView(View, Protocol):
    """A view whose `apply` is `fold` then work that reads only the view's own rows and leaves the same
    rows whether done after each event or once for many (a plan judged again from all its facts). The
    runner folds each event of a batch, then calls `finish` once with the events it folded, in the same
    transaction."""

    async def fold(self, conn: AsyncConnection, event: Event) -> None: ...

    async def finish(self, conn: AsyncConnection, events: Sequence[Event]) -> None: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as received: what the bookkeeping tables need, whatever became of it."""

    stream_seq: int
    subject: str
    data: bytes
    headers: dict[str, str]
    deliveries: int = 1

    @classmethod
    def of(cls, msg: Msg) -> Incoming:
        meta = msg.metadata
        return cls(meta.sequence.stream, msg.subject, msg.data, dict(msg.headers or {}), meta.num_delivered)

    def row(self) -> dict[str, object]:
        return {
            "stream_seq": self.stream_seq,
            "subject": self.subject,
            "data": self.data,
            "headers": json.dumps(self.headers, sort_keys=True),
        }


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    parked: int = 0
    dead: int = 0
    unparked: int = 0
    last_seq: int = 0
    applied_events: list[Event] = field(default_factory=list, repr=False)
    """In the order applied (the writing views' list, not a copy): what a batch's trace links to."""

    def add(self, other: BatchOutcome) -> BatchOutcome:
        """Two parts of one fetched batch (cut at an agreed position) as one."""
        return BatchOutcome(
            self.applied + other.applied,
            self.duplicates + other.duplicates,
            self.parked + other.parked,
            self.dead + other.dead,
            self.unparked + other.unparked,
            max(self.last_seq, other.last_seq),
            [*self.applied_events, *other.applied_events],
        )


class AgreedPositions(Protocol):
    """What a service does at each agreed position (every `every` stream sequences, the same for every
    service of the federation): `sign` inside the transaction that applied the last event up to it, so
    what it signs is exactly the fold of every event up to the position and none after; `committed` once
    that transaction committed and before the next batch starts (the views still stand at the position)."""

    every: int

    async def sign(self, conn: AsyncConnection, position: int) -> None: ...

    async def committed(self, position: int) -> None: ...


@dataclass
class Frontier:
    """The highest stream sequence up to which every message was handled (applied, parked, dead or a
    duplicate). Messages come in stream order but for redeliveries: one ahead of a gap waits in `ahead`
    until the gap is filled. Only the runner's own process knows it; at start it trusts what is committed."""

    through: int = 0
    ahead: set[int] = field(default_factory=set)

    def after(self, seqs: Sequence[int]) -> tuple[int, set[int]]:
        through, ahead = self.through, set(self.ahead)
        ahead.update(s for s in seqs if s > through)
        while through + 1 in ahead:
            through += 1
            ahead.discard(through)
        return through, ahead


@dataclass
class _Batch:
    """What one batch has done so far inside its transaction."""

    seen: set[str]
    applied_rows: list[dict[str, object]] = field(default_factory=list)
    changed: set[IssuerKey] = field(default_factory=set)
    to_write: list[Event] = field(default_factory=list)
    """Events applied, in the order applied, for the writing views (written at the end of the batch)."""


@dataclass
class Fold:
    """Applies decoded events to the views inside one open transaction.

    Issuer positions are kept in memory for the issuers of the last batches (at most `POSITIONS_KEPT`,
    least recently used dropped first: a service's memory does not grow with the stream); a batch reads
    the positions of its other issuers in one query. Kept in memory too: the consumer's mark, the applied
    ids' kept hash (written by each batch, so not read back) and the issuers that may have events parked
    for a gap, so an applied event looks for a parked successor only where one may wait (one query per
    event otherwise). All of it is loaded at start-up and after a rollback, so what is kept is always
    what is committed.
    """

    views: Sequence[View]
    ledger: DigestLedger | None = None  # keeps the views' digests as their rows change (a service's own)
    positions: dict[IssuerKey, int] = field(default_factory=dict)
    applied_total: int = 0
    last_seq: int = 0
    gapped: set[str] = field(default_factory=set)
    _appliers: list[tuple[View, Callable[[AsyncConnection, Event], Awaitable[None]]]] = field(
        init=False, repr=False
    )
    _writers: list[WritingView] = field(init=False, repr=False)
    _finishers: list[FinishingView] = field(init=False, repr=False)
    _unsettled: int = field(default=0, init=False, repr=False)
    # the applied ids' kept hash as this fold last wrote it; None: read it (after start-up or a rollback)
    _applied_hash: bytes | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # sorted once: a runtime protocol check costs more than applying an event
        self._writers = [v for v in self.views if isinstance(v, WritingView)]
        self._finishers = [v for v in self.views if isinstance(v, FinishingView)]
        self._appliers = [
            (v, v.fold if isinstance(v, FinishingView) else v.apply)
            for v in self.views
            if not isinstance(v, WritingView)
        ]

    async def load_positions(self, conn: AsyncConnection) -> None:
        """Reload the in-memory state after start-up or after a transaction rolled back."""
        self.positions = {}
        self._applied_hash = None
        mark = (
            await conn.execute(select(consumer_position).where(consumer_position.c.consumer == "view"))
        ).first()
        self.applied_total, self.last_seq = (mark.applied_count, mark.stream_seq) if mark else (0, 0)
        waiting = select(parked.c.issuer).where(parked.c.issuer.is_not(None)).distinct()
        self.gapped = {issuer for (issuer,) in await conn.execute(waiting)}

    async def apply_batch(
        self, conn: AsyncConnection, items: Sequence[tuple[Incoming, Event | Rejected]]
    ) -> BatchOutcome:
        outcome = BatchOutcome(last_seq=max((m.stream_seq for m, _ in items), default=0))
        events = [(m, e) for m, e in items if isinstance(e, Event) and e.type not in BOOKKEEPING]
        await self._reject(conn, [(m, e) for m, e in items if isinstance(e, Rejected)], outcome)
        await self._recall_positions(conn, {e.issuer_key for _, e in events})
        # an event's id and its issuer's position commit together: only an event at or below its
        # issuer's position can have been applied already (a redelivery), so only those are looked up
        done = [e.id for _, e in events if e.sequence <= self.positions[e.issuer_key]]
        batch = _Batch(seen=await self._already_applied(conn, done))
        for message, event in sorted(events, key=lambda me: (me[1].issuer_key, me[1].sequence)):
            if event.id in batch.seen:
                outcome.duplicates += 1
                continue
            if await self._apply_in_order(conn, message, event, batch) == "parked":
                outcome.parked += 1
        outcome.applied, outcome.applied_events = len(batch.applied_rows), batch.to_write
        await self._write_views(conn, batch.to_write)
        await self._finish_views(conn, batch.to_write)
        await self._settle_digests(conn, len(batch.to_write))
        await self._bookkeeping(conn, batch, outcome)
        return outcome

    async def _bookkeeping(self, conn: AsyncConnection, batch: _Batch, outcome: BatchOutcome) -> None:
        """The applied ids, their kept hash, the issuer positions and the consumer's mark: on SQLite in
        one trip to its thread (a live batch's fixed work, bench/README.md), else one statement each (on
        PostgreSQL as one data-modifying statement it cost no less, bench/README.md).
        Never a conflict on an applied id: an id and its issuer's position commit together."""
        known = self._applied_hash
        hashed = known
        if self.ledger is not None:
            hashed = await self.ledger.hash_appended(conn, applied, batch.applied_rows, known)
        positions = self._position_rows(batch.changed)
        self.applied_total += outcome.applied
        self.last_seq = max(self.last_seq, outcome.last_seq)
        mark = {"consumer": "view", "stream_seq": self.last_seq, "applied_count": self.applied_total}
        together: list[tuple[str, list[tuple[Any, ...]]]] = [
            (_APPLIED_SQL, [(r["event_id"], r["stream_seq"]) for r in batch.applied_rows]),
            (_POSITION_SQL, [tuple(r.values()) for r in positions]),
            (_MARK_SQL, [tuple(mark.values())]),
            (STATE_UPDATE, [(hashed, applied.name)] if hashed is not known else []),
        ]
        if not await write_together(conn, [(sql, rows) for sql, rows in together if rows]):
            await insert_ignoring_conflicts(conn, applied, batch.applied_rows, ["event_id"])
            if hashed is not known:
                kept = digest_state.c.table_name == applied.name
                await conn.execute(update(digest_state).where(kept).values(lthash=hashed))
            keys = ["pilot", "service", "aggregate", "aggregate_id"]
            await upsert(conn, issuer_position, positions, keys)
            await upsert(conn, consumer_position, [mark], ["consumer"])
        self._applied_hash = hashed

    async def _settle_digests(self, conn: AsyncConnection, written: int) -> None:
        """Bring the kept digests up to date once many events were written since the last time: the
        checkpointer settles them every interval, this bounds what waits when checkpoints do not come."""
        self._unsettled += written
        if self.ledger is not None and self._unsettled >= SETTLE_AFTER:
            await self.ledger.settle(conn)
            self._unsettled = 0

    async def _apply_in_order(
        self, conn: AsyncConnection, message: Incoming, event: Event, batch: _Batch
    ) -> str:
        key = event.issuer_key
        current = self.positions.get(key, 0)
        if event.sequence <= current:
            await self._dead(
                conn, message, f"sequence conflict: {key} already at {current}, event {event.id}"
            )
            return "dead"
        if event.sequence > current + 1:
            return await self._park_gap(conn, message, event, current)
        await self._apply_one(conn, message, event, batch)
        if self.gapped:  # none in a stream without gaps: no call per event
            await self._unpark_successors(conn, key, batch)
        return "applied"

    async def _apply_one(self, conn: AsyncConnection, message: Incoming, event: Event, batch: _Batch) -> None:
        for view, apply in self._appliers:
            if view.handles(event.type):
                await apply(conn, event)
        batch.to_write.append(event)
        self.positions[event.issuer_key] = event.sequence
        batch.changed.add(event.issuer_key)
        batch.applied_rows.append({"event_id": event.id, "stream_seq": message.stream_seq})
        batch.seen.add(event.id)

    async def _park_gap(self, conn: AsyncConnection, message: Incoming, event: Event, current: int) -> str:
        """Wait for the missing sequence. A second copy of the same event waits once; a different event
        claiming the same issuer sequence is a conflict, kept as a dead letter rather than dropped."""
        issuer = ".".join(event.issuer_key)
        query = select(parked.c.data).where(parked.c.issuer == issuer, parked.c.sequence == event.sequence)
        waiting = await conn.scalar(query)
        if waiting is not None and waiting != message.data:
            await self._dead(
                conn, message, f"sequence conflict: another event waits at {issuer} #{event.sequence}"
            )
            return "dead"
        reason = f"gap: waiting for sequence {current + 1}"
        await self._park(conn, message, reason, "gap", event.issuer_key, event.sequence)
        self.gapped.add(issuer)
        return "parked"

    async def _write_views(self, conn: AsyncConnection, events: list[Event]) -> None:
        """The writing views' rows for the events applied in this batch, gathered (see `WritingView`)."""
        for view in self._writers:
            mine = [e for e in events if view.handles(e.type)]
            if not mine:
                continue
            waves = gather(view.writes(e) for e in mine)
            await execute_waves(conn, waves)

    async def _finish_views(self, conn: AsyncConnection, events: list[Event]) -> None:
        for view in self._finishers:
            mine = [e for e in events if view.handles(e.type)]
            if mine:
                await view.finish(conn, mine)

    async def _unpark_successors(self, conn: AsyncConnection, key: IssuerKey, batch: _Batch) -> None:
        issuer = ".".join(key)
        if issuer not in self.gapped:
            return
        while True:
            query = select(parked).where(
                parked.c.issuer == issuer, parked.c.sequence == self.positions[key] + 1
            )
            row = (await conn.execute(query.limit(1))).first()
            if row is None:
                left = select(parked.c.stream_seq).where(parked.c.issuer == issuer).limit(1)
                if (await conn.scalar(left)) is None:
                    self.gapped.discard(issuer)
                return
            await conn.execute(delete(parked).where(parked.c.stream_seq == row.stream_seq))
            message = Incoming(row.stream_seq, row.subject, row.data, json.loads(row.headers))
            event = Event.model_validate_json(row.data)  # verified when it was parked
            if event.id not in batch.seen:
                await self._apply_one(conn, message, event, batch)

    async def _recall_positions(self, conn: AsyncConnection, keys: set[IssuerKey]) -> None:
        """Make `positions` hold every issuer of the batch: those not kept are read, and the batch's move
        to the recent end, so dropping the least recent never drops one the batch needs."""
        kept = self.positions
        for key, position in (await self._positions_of(conn, keys.difference(kept))).items():
            kept[key] = position
        for key in keys:
            kept[key] = kept.pop(key)
        for key in list(itertools.islice(kept, max(0, len(kept) - max(POSITIONS_KEPT, len(keys))))):
            del kept[key]

    async def _positions_of(self, conn: AsyncConnection, keys: set[IssuerKey]) -> dict[IssuerKey, int]:
        """Each issuer's committed position (0 for an issuer not seen yet). One query: per (pilot, service,
        aggregate), the ids in a list, so both databases look each one up by primary key (a row-value IN
        makes SQLite scan the whole table, which grows with the stream)."""
        found: dict[IssuerKey, int] = dict.fromkeys(keys, 0)
        by_kind: dict[tuple[str, str, str], list[str]] = {}
        for pilot, service, aggregate, aggregate_id in sorted(keys):
            by_kind.setdefault((pilot, service, aggregate), []).append(aggregate_id)
        terms = [
            (p, s, a, ids[i : i + POSITION_IDS])
            for (p, s, a), ids in by_kind.items()
            for i in range(0, len(ids), POSITION_IDS)
        ]
        for start in range(0, len(terms), POSITION_TERMS):
            chunk = terms[start : start + POSITION_TERMS]
            params = {
                f"{name}{n}": v for n, term in enumerate(chunk) for name, v in zip("psai", term, strict=True)
            }
            for row in await conn.execute(_positions_query(len(chunk)), params):
                key = (row.pilot, row.service, row.aggregate, row.aggregate_id)
                if key in found:
                    found[key] = row.sequence
        return found

    async def _already_applied(self, conn: AsyncConnection, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = await conn.execute(select(applied.c.event_id).where(applied.c.event_id.in_(ids)))
        return {r.event_id for r in rows}

    async def _reject(
        self, conn: AsyncConnection, items: list[tuple[Incoming, Rejected]], outcome: BatchOutcome
    ) -> None:
        for message, rejected in items:
            if rejected.park:
                await self._park(conn, message, rejected.reason, "unknown", None, None)
                outcome.parked += 1
            else:
                await self._dead(conn, message, rejected.reason)
                outcome.dead += 1

    async def _park(
        self,
        conn: AsyncConnection,
        message: Incoming,
        reason: str,
        kind: str,
        key: IssuerKey | None,
        sequence: int | None,
    ) -> None:
        row = {**message.row(), "reason": reason, "kind": kind, "sequence": sequence}
        row["issuer"] = ".".join(key) if key else None
        await insert_ignoring_conflicts(conn, parked, [row])

    async def _dead(self, conn: AsyncConnection, message: Incoming, reason: str) -> None:
        log.warning("dead letter at stream sequence %s: %s", message.stream_seq, reason)
        row = {**message.row(), "reason": reason, "deliveries": message.deliveries}
        await insert_ignoring_conflicts(conn, dead_letters, [row])

    def _position_rows(self, changed: set[IssuerKey]) -> list[dict[str, object]]:
        return [
            {
                "pilot": k[0],
                "service": k[1],
                "aggregate": k[2],
                "aggregate_id": k[3],
                "sequence": self.positions[k],
            }
            for k in sorted(changed)
        ]


# the bookkeeping's statements on SQLite, as `upsert` and `insert_ignoring_conflicts` build them there
_APPLIED_SQL = (
    "INSERT INTO ess_applied (event_id, stream_seq) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING"
)
_POSITION_SQL = (
    "INSERT INTO ess_issuer_position (pilot, service, aggregate, aggregate_id, sequence) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pilot, service, aggregate, aggregate_id) "
    "DO UPDATE SET sequence = excluded.sequence"
)
_MARK_SQL = (
    "INSERT INTO ess_consumer_position (consumer, stream_seq, applied_count) VALUES (?, ?, ?) "
    "ON CONFLICT (consumer) DO UPDATE SET stream_seq = excluded.stream_seq, "
    "applied_count = excluded.applied_count"
)


def consumer_config(batch_size: int = 500, ack_wait: float = 30.0, after: int = 0) -> ConsumerConfig:
    """The durable consumer's settings: from the first event, or after stream sequence `after` (a service
    that joined from a snapshot holds everything up to it)."""
    return ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE if after else DeliverPolicy.ALL,
        opt_start_seq=after + 1 if after else None,
        ack_wait=ack_wait,
        max_ack_pending=batch_size * 4,
    )


@functools.cache
def _positions_query(terms: int) -> Select[Any]:
    """The issuer positions of `terms` kinds of issuer (pilot, service, aggregate), each with its ids:
    built once per number of terms, so a batch only binds its values (building it cost more than
    running it)."""
    c = issuer_position.c
    return select(issuer_position).where(
        or_(
            *(
                and_(
                    c.pilot == bindparam(f"p{n}"),
                    c.service == bindparam(f"s{n}"),
                    c.aggregate == bindparam(f"a{n}"),
                    c.aggregate_id.in_(bindparam(f"i{n}", expanding=True)),
                )
                for n in range(terms)
            )
        )
    )


def _with_headers(
    items: Sequence[tuple[Incoming, Event | Rejected]], applied_events: Sequence[Event]
) -> list[tuple[dict[str, str], Event]]:
    """Each applied event with its message's headers (where its trace context travels); an event unparked
    from an earlier batch has no message here and is left out."""
    headers = {e.id: m.headers for m, e in items if isinstance(e, Event)}
    return [(headers[e.id], e) for e in applied_events if e.id in headers]


class ProjectionRunner:
    """Pulls the stream with a durable consumer and hands each batch to the fold in one transaction."""

    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        trust: TrustStore,
        views: Sequence[View],
        *,
        durable: str,
        batch_size: int = 500,
        fetch_timeout: float = 0.5,
        ack_wait: float = 30.0,
        ledger: DigestLedger | None = None,
        agreed: AgreedPositions | None = None,
    ) -> None:
        self.engine = engine
        self.js = js
        self.trust = trust
        self.fold = Fold(views, ledger)
        self.durable = durable
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        self.agreed = agreed
        self.frontier = Frontier()
        self._committed = 0
        self._stale = False  # the fold's cache may hold what a rolled-back batch did: reload before the next

    @property
    def last_seq(self) -> int:
        """The last stream sequence the fold has seen; inside a batch, before its commit."""
        return self.fold.last_seq

    @property
    def committed_seq(self) -> int:
        """The last stream sequence whose batch is committed: what a reader of the views sees."""
        return self._committed

    async def reload(self) -> None:
        async with self.engine.connect() as conn:
            await self.fold.load_positions(conn)
        self._committed = self.fold.last_seq
        self.frontier = Frontier(max(self.frontier.through, self.fold.last_seq))
        self._stale = False

    async def rolled_back(self) -> None:
        """A transaction that used the fold rolled back: its cache may hold effects that were never
        committed. Reload it now, or, when the database is what failed (reload fails too), before the next
        batch: a batch applied against such a cache would dead-letter its events as sequence conflicts."""
        self._stale = True
        with contextlib.suppress(Exception):
            await self.reload()

    async def start(self) -> None:
        await self.reload()
        if self.agreed is not None:  # a stream whose first messages went (limits) starts after them
            first = (await self.js.stream_info(STREAM)).state.first_seq
            self.frontier.through = max(self.frontier.through, first - 1)
        self._sub = await self.js.pull_subscribe(
            "ess.>",
            durable=self.durable,
            stream=STREAM,
            config=consumer_config(self.batch_size, self.ack_wait),
        )

    async def stop(self) -> None:
        """Unsubscribe, so the connection drains at once instead of waiting on an open pull request."""
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()

    async def run(self) -> None:
        await self.start()
        await self.run_started()

    async def run_started(self) -> None:
        backoff = 0.2
        puller = Puller(self._sub, self.batch_size, self.fetch_timeout)
        while True:
            stop_if_cancelled()
            messages = await puller.pull()
            if not messages:
                continue
            try:
                await self.handle(messages)
                backoff = 0.2
            except Exception:  # database away: leave the batch unacked, it comes back after a delay
                log.warning("batch failed; redelivery in %.1fs", backoff, exc_info=True)
                await asyncio.gather(*(m.nak(delay=backoff) for m in messages), return_exceptions=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def handle(self, messages: Sequence[Msg]) -> BatchOutcome:
        if self._stale:
            await self.reload()
        outcome = BatchOutcome()
        for part in self._parts(messages):
            outcome = outcome.add(await self._handle_part(part))
        return outcome

    def _parts(self, messages: Sequence[Msg]) -> list[list[Msg]]:
        """The batch cut after each agreed position it holds, so that one transaction ends there."""
        if self.agreed is None:
            return [list(messages)]
        every, parts, part = self.agreed.every, [], []
        for message in messages:
            part.append(message)
            if message.metadata.sequence.stream % every == 0:
                parts.append(part)
                part = []
        return [*parts, part] if part else parts

    async def _handle_part(self, messages: list[Msg]) -> BatchOutcome:
        items = [self.decode(Incoming.of(m)) for m in messages]
        seqs = [m.stream_seq for m, _ in items]
        through, ahead = self.frontier.after(seqs)
        agreed = self._agreed_position(seqs, through, ahead)
        with fold_batch(self.durable, len(items)) as trace:  # nothing unless this process traces
            try:
                async with self.engine.begin() as conn:
                    outcome = await self.fold.apply_batch(conn, items)
                    if agreed is not None:
                        await self._sign(conn, agreed)
            except Exception:
                await self.rolled_back()
                raise
            self._committed = self.fold.last_seq
            self.frontier = Frontier(through, ahead)
            if trace is not OFF:
                trace.applied(_with_headers(items, outcome.applied_events))
            if agreed is not None:
                await self._committed_at(agreed)
            for message in messages:
                await message.ack()
        return outcome

    def _agreed_position(self, seqs: list[int], through: int, ahead: set[int]) -> int | None:
        """The agreed position this part ends on, when every message up to it and none after it was
        handled (a redelivery out of order leaves that position unsigned by this service)."""
        if self.agreed is None or not seqs:
            return None
        last = seqs[-1]
        if last % self.agreed.every or through != last or ahead:
            return None
        return last

    async def _sign(self, conn: AsyncConnection, position: int) -> None:
        assert self.agreed is not None
        await self.agreed.sign(conn, position)

    async def _committed_at(self, position: int) -> None:
        assert self.agreed is not None
        try:
            await self.agreed.committed(position)
        except Exception:  # a snapshot not taken is taken at a later position; the fold goes on
            log.warning("after agreed position %s", position, exc_info=True)

    def decode(self, message: Incoming) -> tuple[Incoming, Event | Rejected]:
        try:
            return message, decode(message.subject, message.data, message.headers, self.trust)
        except Rejected as rejected:
            return message, rejected
