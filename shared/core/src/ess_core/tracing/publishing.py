"""The relay's spans: one per published message, a child of the context its act recorded with the row, and
the message's `traceparent` names that span, so every consumer joins the act's trace."""

from __future__ import annotations

import json
from collections.abc import Sequence

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from ess_core.tracing.spans import SWITCH, carrier_of, context_of, tracer


class PublishSpans:
    """The spans of one pass of the relay, ended together when its acks came (or did not)."""

    def __init__(self) -> None:
        self._spans: list[Span] = []

    def start(self, subject: str, event_id: str, trace_context: str | None) -> dict[str, str]:
        """Start the publish span of one row; returns the headers that name it."""
        parent = context_of(json.loads(trace_context)) if trace_context else None
        span = tracer().start_span(
            "ess.relay publish",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.message.id": event_id,
            },
        )
        self._spans.append(span)
        return carrier_of(span)

    def acked(self, stream_seqs: Sequence[int]) -> None:
        for span, seq in zip(self._spans, stream_seqs, strict=False):
            span.set_attribute("ess.stream_seq", seq)
            span.end()
        self._spans.clear()

    def failed(self, error: BaseException) -> None:
        for span in self._spans:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        self._spans.clear()


def publish_spans() -> PublishSpans | None:
    """None when off: the relay then only copies a row's recorded context into its headers."""
    return PublishSpans() if SWITCH.on else None
