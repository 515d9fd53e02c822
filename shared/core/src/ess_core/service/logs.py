"""Structured logs for the service processes: one JSON object per line, on stderr, with the standard
library's `logging` (no extra dependency).

Every line written while an event is being handled carries the event's id, correlation id, pilot,
service, aggregate, aggregate id and type: the projection's view wrappers (`ServiceMetrics.wrap`) and any
code that handles an event bind it with `about(event)`, and the formatter adds the bound fields to every
record of that task. A line may also pass them itself: `log.warning("...", extra=event_fields(e))`.
With tracing on (`ess_core.tracing`), a line written inside a span carries its `trace_id` and `span_id`.

Quiet by default: WARNING and above (`ESS_LOG_LEVEL=INFO|DEBUG` for more). Nothing logs a line per
message at INFO: the runner and relay log per batch failure, views log nothing, FastStream's broker is
created with `logger=None`, uvicorn's access log is off. `ESS_LOG_FORMAT=text` gives plain lines.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

if TYPE_CHECKING:
    from ess_contracts.event import Event

EVENT_FIELDS = ("event_id", "correlation_id", "pilot", "service", "aggregate", "aggregate_id", "type")
EXTRA_FIELDS = (*EVENT_FIELDS, "stream_seq", "subject", "instance")
_bound: ContextVar[Event | None] = ContextVar("ess_log_event", default=None)
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def event_fields(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "correlation_id": event.correlation_id,
        "pilot": event.pilot,
        "service": event.service,
        "aggregate": event.aggregate,
        "aggregate_id": event.aggregate_id,
        "type": event.type,
    }


class about:  # used as `with about(event):`, like a function
    """Lines logged inside carry the event's fields. Cheap (it runs once per event and view): the event is
    only bound; its fields are read when a line is actually written."""

    __slots__ = ("_event", "_token")

    def __init__(self, event: Event) -> None:
        self._event = event

    def __enter__(self) -> None:
        self._token = _bound.set(self._event)

    def __exit__(self, *_: object) -> None:
        _bound.reset(self._token)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...event fields, "exc"}` on one line."""

    def __init__(self, static: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.static = dict(static or {})

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **self.static,
        }
        bound = _bound.get()
        if bound is not None:
            line.update(event_fields(bound))
        span = trace.get_current_span().get_span_context()
        if span.is_valid:  # tracing on, inside a request, an act or a batch: find the trace from the line
            line["trace_id"], line["span_id"] = format(span.trace_id, "032x"), format(span.span_id, "016x")
        for key, value in vars(record).items():  # extra=... fields win over the bound ones
            if key not in _RESERVED and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(instance: str | None = None, env: Mapping[str, str] | None = None) -> None:
    """The root logger of a service process: JSON lines on stderr, WARNING unless ESS_LOG_LEVEL says."""
    env = os.environ if env is None else env
    level = env.get("ESS_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler(sys.stderr)
    if env.get("ESS_LOG_FORMAT", "json").lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter({"instance": instance} if instance else None))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
    # Libraries that would log a line per request or message stay at WARNING whatever the level.
    for name in ("uvicorn.access", "faststream", "faststream.access", "nats", "aiosqlite", "asyncio"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
