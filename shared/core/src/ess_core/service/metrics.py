"""Prometheus metrics of one service, served on GET /metrics (operator token, like /status).

Two kinds of figures:

- **counted as it happens** (this process, since it started): events each view applied, by view and
  type, and how long each view took per event (`apply`, or for a writing view the `writes` it returns:
  its rows are written in one batch by the runner). The runtime hands the projection runner the views
  wrapped by `ServiceMetrics.wrap`; projection.py itself is untouched. A batch that rolls back and is
  delivered again is counted again: these count work done, the database counts what holds.
- **read at scrape time** from the service's database and the stream (so they survive restarts and
  equal what `ess status` reads): events recorded and published by type, outbox backlog and the age of
  its oldest unpublished event, applied position and events, projection lag (stream last sequence −
  applied position), parked events by kind and dead letters; on SQLite, the write transactions that
  took their turn on the file and the seconds they waited for it (messaging/sqlite_writer.py).

Requires `prometheus-client`; without it /metrics answers 503 and says so (the views are wrapped
anyway: the wrapper also binds each event to the log lines written while it is handled).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.event import Event
from ess_contracts.subjects import STREAM
from ess_core.messaging.projection import FinishingView
from ess_core.messaging.schema import consumer_position, dead_letters, notice, outbox, parked
from ess_core.messaging.sqlite_writer import WriterSQLiteDialect, WriteTurns
from ess_core.messaging.stream_usage import ALARM_RATIO, LimitUse, stream_usage
from ess_core.messaging.view_idiom import View, Write, WritingView
from ess_core.service.logs import about

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STREAM_INFO_TIMEOUT = 1.0
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def available() -> bool:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return False
    return True


class _CountingView:
    """A view as the runner sees it, counting and timing each event it handles."""

    def __init__(self, inner: View, metrics: ServiceMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def tables(self) -> Sequence[Table]:
        return self._inner.tables

    @property
    def digest_excluded(self) -> frozenset[str]:
        return self._inner.digest_excluded

    def handles(self, event_type: str) -> bool:
        return self._inner.handles(event_type)

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        started = time.perf_counter()
        with about(event):  # any line logged meanwhile names the event
            await self._inner.apply(conn, event)
        self._metrics.handled(self.name, event.type, time.perf_counter() - started)


class _CountingWritingView(_CountingView):
    def __init__(self, inner: WritingView, metrics: ServiceMetrics) -> None:
        super().__init__(inner, metrics)
        self._writer = inner

    def writes(self, event: Event) -> Sequence[Write]:
        started = time.perf_counter()
        with about(event):
            found = self._writer.writes(event)
        self._metrics.handled(self.name, event.type, time.perf_counter() - started)
        return found


class _CountingFinishingView(_CountingView):
    """Counts and times `fold` per event; `finish` (once per batch) is part of no event's figure."""

    def __init__(self, inner: FinishingView, metrics: ServiceMetrics) -> None:
        super().__init__(inner, metrics)
        self._finisher = inner

    async def fold(self, conn: AsyncConnection, event: Event) -> None:
        started = time.perf_counter()
        with about(event):
            await self._finisher.fold(conn, event)
        self._metrics.handled(self.name, event.type, time.perf_counter() - started)

    async def finish(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        await self._finisher.finish(conn, events)


class _CountingWritingFinishingView(_CountingWritingView):
    """A writing view that also finishes each batch (the funding plan: rows gathered, then judged)."""

    def __init__(self, inner: Any, metrics: ServiceMetrics) -> None:
        super().__init__(inner, metrics)
        self._finisher: FinishingView = inner

    async def fold(self, conn: AsyncConnection, event: Event) -> None:
        await self._finisher.fold(conn, event)

    async def finish(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        await self._finisher.finish(conn, events)


@dataclass
class Figures:
    """What the database and the stream say at scrape time."""

    recorded: dict[str, int] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    backlog: int = 0
    oldest_unpublished_age: float | None = None
    applied_position: int = 0
    applied_events: int = 0
    stream_last_seq: int | None = None
    stream_usage: list[LimitUse] = field(default_factory=list)  # empty: broker away
    parked: dict[str, int] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    write_turns: WriteTurns | None = None  # SQLite only


def _uuid7_age(event_id: str | None, now: datetime) -> float | None:
    if not event_id:
        return None
    try:
        millis = int(event_id.replace("-", "")[:12], 16)
    except ValueError:
        return None
    return max(0.0, now.timestamp() - millis / 1000)


async def read_figures(conn: AsyncConnection, published_types: Sequence[str]) -> Figures:
    """One pass over the outbox counts every declared type (subjects end in `.<type>`), then the
    projection's bookkeeping."""
    figures = Figures()
    done = outbox.c.stream_seq.is_not(None)
    columns = []
    for name in published_types:
        ends = outbox.c.subject.like(f"%.{name}")
        columns.append(func.sum(case((ends, 1), else_=0)))
        columns.append(func.sum(case((ends & done, 1), else_=0)))
    if columns:
        row = (await conn.execute(select(*columns).select_from(outbox))).one()
        for i, name in enumerate(published_types):
            figures.recorded[name] = int(row[2 * i] or 0)
            figures.published[name] = int(row[2 * i + 1] or 0)
    figures.backlog = await conn.scalar(select(func.count()).select_from(outbox).where(~done)) or 0
    oldest = await conn.scalar(select(outbox.c.event_id).where(~done).order_by(outbox.c.position).limit(1))
    figures.oldest_unpublished_age = _uuid7_age(oldest, datetime.now(UTC))
    mark = (
        await conn.execute(select(consumer_position).where(consumer_position.c.consumer == "view"))
    ).first()
    if mark is not None:
        figures.applied_position, figures.applied_events = int(mark.stream_seq), int(mark.applied_count)
    kinds = await conn.execute(select(parked.c.kind, func.count()).group_by(parked.c.kind))
    figures.parked = {str(kind): int(count) for kind, count in kinds}
    states = await conn.execute(select(notice.c.state, func.count()).group_by(notice.c.state))
    figures.notices = {str(state): int(count) for state, count in states}
    figures.dead_letters = await conn.scalar(select(func.count()).select_from(dead_letters)) or 0
    return figures


class _Snapshot:
    """The scrape-time figures as Prometheus metric families (a custom collector)."""

    def __init__(self, service: str, pilot: str) -> None:
        self.labels = {"pilot": pilot, "service": service}
        self.figures = Figures()

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        f, base = self.figures, self.labels
        keys = [*base, "type"]
        recorded = CounterMetricFamily(
            "ess_events_recorded", "Events this service recorded in its outbox, by type.", labels=keys
        )
        published = CounterMetricFamily(
            "ess_events_published",
            "Events this service published (PubAck received), by type; from its journal.",
            labels=keys,
        )
        for name in sorted(f.recorded):
            recorded.add_metric([*base.values(), name], f.recorded[name])
            published.add_metric([*base.values(), name], f.published.get(name, 0))
        yield recorded
        yield published

        def gauge(name: str, doc: str, value: float | None) -> Iterator[Any]:
            if value is not None:
                family = GaugeMetricFamily(name, doc, labels=list(base))
                family.add_metric(list(base.values()), value)
                yield family

        yield from gauge("ess_outbox_backlog", "Events recorded but not yet published.", f.backlog)
        yield from gauge(
            "ess_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished event (absent when none waits).",
            f.oldest_unpublished_age,
        )
        yield from gauge(
            "ess_projection_applied_position", "Last stream sequence folded.", f.applied_position
        )
        yield from gauge("ess_projection_applied_events", "Events applied to the views.", f.applied_events)
        yield from gauge(
            "ess_stream_last_sequence", "The stream's last sequence (absent: broker away).", f.stream_last_seq
        )
        lag = None if f.stream_last_seq is None else max(0, f.stream_last_seq - f.applied_position)
        yield from gauge("ess_projection_lag", "Stream last sequence minus applied position.", lag)
        kinds = GaugeMetricFamily(
            "ess_parked", "Events waiting: a gap, or an unknown type.", labels=[*base, "kind"]
        )
        for kind in ("gap", "unknown"):
            kinds.add_metric([*base.values(), kind], f.parked.get(kind, 0))
        yield kinds
        yield from gauge(
            "ess_dead_letters", "Messages that can never be applied as they are.", f.dead_letters
        )
        notices = GaugeMetricFamily(
            "ess_notices", "E-mail notices by state: pending, sent, failed.", labels=[*base, "state"]
        )
        for state in ("pending", "sent", "failed"):
            notices.add_metric([*base.values(), state], f.notices.get(state, 0))
        yield notices
        yield from _stream_usage(f.stream_usage, base)
        if f.write_turns is not None:
            yield from _write_turns(f.write_turns, base)


def _stream_usage(usage: Sequence[LimitUse], base: dict[str, str]) -> Iterator[Any]:
    """The shared stream against each of its limits, so that every pilot's monitoring rings its alarm
    (`ess_stream_limit_alarm`, at ALARM_RATIO) before the stream refuses events."""
    from prometheus_client.core import GaugeMetricFamily

    keys = [*base, "limit"]
    used = GaugeMetricFamily("ess_stream_limit_used", "The stream's bytes, messages, consumers.", labels=keys)
    maximum = GaugeMetricFamily("ess_stream_limit_max", "The stream's limit (absent: none).", labels=keys)
    ratio = GaugeMetricFamily("ess_stream_limit_used_ratio", "Used over the limit.", labels=keys)
    alarm = GaugeMetricFamily(
        "ess_stream_limit_alarm", f"1 at {ALARM_RATIO:.0%} of the limit or more: make room.", labels=keys
    )
    for use in usage:
        labels = [*base.values(), use.limit]
        used.add_metric(labels, use.used)
        if use.maximum is not None and use.ratio is not None:
            maximum.add_metric(labels, use.maximum)
            ratio.add_metric(labels, use.ratio)
            alarm.add_metric(labels, 1 if use.alarm else 0)
    yield from (used, maximum, ratio, alarm)


def _write_turns(turns: WriteTurns, base: dict[str, str]) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    taken = CounterMetricFamily(
        "ess_sqlite_write_turns",
        "Write transactions on this service's SQLite file, each in its turn (since the process started).",
        labels=list(base),
    )
    taken.add_metric(list(base.values()), turns.taken)
    waited = CounterMetricFamily(
        "ess_sqlite_write_wait_seconds",
        "Seconds the write transactions waited for their turn, in all (since the process started).",
        labels=list(base),
    )
    waited.add_metric(list(base.values()), turns.waited_seconds)
    yield from (taken, waited)


class ServiceMetrics:
    """The metrics of one runtime, in a registry of its own (several runtimes may share a process)."""

    def __init__(self, service: str, pilot: str) -> None:
        self.service, self.pilot = service, pilot
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.enabled = available()
        if not self.enabled:
            return
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=False)
        self.consumed = Counter(
            "ess_events_consumed",
            "Events handled by a view of this process, by view and type (since it started).",
            ["pilot", "service", "view", "type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ess_view_handler_seconds",
            "Time a view took per event (apply, or computing a writing view's rows), by view.",
            ["pilot", "service", "view"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.snapshot = _Snapshot(service, pilot)
        self.registry.register(self.snapshot)

    def handled(self, view: str, event_type: str, seconds: float) -> None:
        if not self.enabled:
            return
        children = self._children.get((view, event_type))
        if children is None:  # labels() takes a lock and builds a key: once per view and type
            children = self._children[(view, event_type)] = (
                self.consumed.labels(self.pilot, self.service, view, event_type),
                self.latency.labels(self.pilot, self.service, view),
            )
        children[0].inc()
        children[1].observe(seconds)

    def wrap(self, views: Sequence[View]) -> list[View]:
        """The views as the projection runner should get them: counted, timed, and logging with the
        event's fields (without prometheus-client only the latter)."""
        return [self._wrap(v) for v in views]

    def _wrap(self, view: View) -> View:
        if isinstance(view, WritingView) and isinstance(view, FinishingView):
            return _CountingWritingFinishingView(view, self)
        if isinstance(view, WritingView):
            return _CountingWritingView(view, self)
        if isinstance(view, FinishingView):
            return _CountingFinishingView(view, self)
        return _CountingView(view, self)

    async def render(self, engine: AsyncEngine, js: JetStreamContext, published: Iterable[str]) -> bytes:
        """Read the scrape-time figures (the service's database, the stream's head, the event types it
        ``published``), then the text exposition of everything."""
        from prometheus_client import generate_latest

        async with engine.connect() as conn:
            figures = await read_figures(conn, sorted(published))
        try:
            info = await asyncio.wait_for(js.stream_info(STREAM), STREAM_INFO_TIMEOUT)
            figures.stream_last_seq = info.state.last_seq
            figures.stream_usage = stream_usage(info)
        except Exception:  # broker away: the lag is absent rather than wrong
            figures.stream_last_seq = None
        if isinstance(engine.dialect, WriterSQLiteDialect):
            figures.write_turns = engine.dialect.turns
        self.snapshot.figures = figures
        return bytes(generate_latest(self.registry))
