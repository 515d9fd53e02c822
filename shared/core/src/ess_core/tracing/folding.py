"""The projection runner's spans: one per batch fold, current while the batch folds (its log lines carry
its trace id), linked to the span of each event it applied; and, per applied event whose message names a
trace, a span in that trace (a child of the relay's publish span, linked back to the batch), so the event's
trace reaches this process."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.util.types import AttributeValue

from ess_contracts.event import Event
from ess_core.tracing.spans import SWITCH, context_of, span_context_of, tracer


class FoldTrace(Protocol):
    def applied(self, events: Iterable[tuple[Mapping[str, str], Event]]) -> None: ...


class _Off:
    def applied(self, events: Iterable[tuple[Mapping[str, str], Event]]) -> None:
        return None


OFF = _Off()


class _BatchSpan:
    def __init__(self, span: Span, started: int, durable: str) -> None:
        self.span = span
        self.started = started
        self.durable = durable

    def applied(self, events: Iterable[tuple[Mapping[str, str], Event]]) -> None:
        """After the commit: link the batch to each applied event's span, and give each a span of its own
        in its trace, from the batch's start to now (the event's effects became visible with the commit)."""
        batch = Link(self.span.get_span_context())
        for headers, event in events:
            context = context_of(headers)
            if context is None:
                continue
            self.span.add_link(span_context_of(context), {"ess.event_id": event.id})
            tracer().start_span(
                f"ess.apply {event.type}",
                context=context,
                kind=SpanKind.CONSUMER,
                links=[batch],
                start_time=self.started,
                attributes={
                    "messaging.system": "nats",
                    "messaging.consumer.group.name": self.durable,
                    "messaging.message.id": event.id,
                    "ess.aggregate_id": event.aggregate_id,
                },
            ).end()


@contextmanager
def fold_batch(durable: str, size: int) -> Iterator[FoldTrace]:
    """The span of one batch; off, a shared object that does nothing."""
    if not SWITCH.on:
        yield OFF
        return
    started = time.time_ns()
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "nats",
        "messaging.batch.message_count": size,
    }
    span = tracer().start_span(
        "ess.fold batch", kind=SpanKind.CONSUMER, start_time=started, attributes=attributes
    )
    with trace.use_span(span, end_on_exit=True, record_exception=True, set_status_on_exception=True):
        yield _BatchSpan(span, started, durable)
