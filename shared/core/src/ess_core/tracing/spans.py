"""What every traced part shares: the switch, the tracer, and the W3C trace context as message headers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ess_contracts.event import Event

TRACEPARENT = "traceparent"
TRACE_HEADERS = (TRACEPARENT, "tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()  # W3C trace context only: no baggage crosses pilots


class _Switch:
    """Whether this process traces, and with which tracer: set once at start (`setup.configure`), read on
    every hot path."""

    __slots__ = ("on", "tracer")

    def __init__(self) -> None:
        self.on = False
        self.tracer: trace.Tracer = trace.get_tracer("ess_core")

    def turn_on(self, provider: trace.TracerProvider) -> None:
        self.tracer, self.on = provider.get_tracer("ess_core"), True

    def turn_off(self) -> None:
        self.tracer, self.on = trace.get_tracer("ess_core"), False


SWITCH = _Switch()


def tracer() -> trace.Tracer:
    return SWITCH.tracer


def carrier_of(span: Span) -> dict[str, str]:
    """`traceparent` (and `tracestate` when there is one) naming `span`, as message headers."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def context_of(headers: Mapping[str, str]) -> Context | None:
    """The remote context a message's (or a request's) headers name, or None when they name none."""
    if TRACEPARENT not in headers:
        return None
    found = _PROPAGATOR.extract({k: headers[k] for k in TRACE_HEADERS if k in headers})
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def span_context_of(context: Context) -> SpanContext:
    return trace.get_current_span(context).get_span_context()


@contextmanager
def recorded(events: Sequence[Event]) -> Iterator[str | None]:
    """A span around recording events in the outbox (a child of the request or task that records them),
    yielding the trace context to store with the rows as JSON, so the relay, later or after a restart,
    publishes them inside this trace. Off: yields None, and nothing else happens."""
    if not SWITCH.on:
        yield None
        return
    attributes = {
        "ess.aggregate_id": events[0].aggregate_id if events else "",
        "ess.event_ids": [e.id for e in events],
        "ess.event_types": [e.type for e in events],
    }
    with tracer().start_as_current_span("ess.outbox record", attributes=attributes) as span:
        yield json.dumps(carrier_of(span), sort_keys=True)


def trace_id_of(span_context: SpanContext) -> str:
    return format(span_context.trace_id, "032x")


def trace_id_in(headers: Mapping[str, str]) -> str | None:
    """The trace id a message's `traceparent` names (`00-<trace id>-<span id>-<flags>`), or None."""
    parts = headers.get(TRACEPARENT, "").split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or parts[1] == "0" * 32:
        return None
    return parts[1] if all(c in "0123456789abcdef" for c in parts[1]) else None
