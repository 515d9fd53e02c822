"""Tracing in the messaging core (issue 24), with an in-memory exporter: the act's context is recorded with
its outbox rows, the relay publishes each row under a span of that trace and names it in the message's
`traceparent` header, never in the signed bytes; the fold's batch span links to the events it applied.
Off, nothing is recorded and the headers are the signed ones; a recorded context still travels through a
relay that does not trace. A log line inside a span names its trace."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select

from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION
from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import outbox
from ess_core.service import logs
from ess_core.tracing import setup
from ess_core.tracing.spans import SWITCH
from tests.support import events as ev
from tests.support.harness import ViewHolder
from tests.support.pilots import Pilots

SIGNED = {MSG_ID, KEY, SIGNATURE, VERSION, "Nats-Expected-Stream"}  # and the relay's stream check


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process, into memory (the global provider stays untouched)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    SWITCH.turn_on(provider)
    try:
        yield exporter
    finally:
        SWITCH.turn_off()


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == name]


def ids(span: ReadableSpan) -> tuple[int, int]:
    """(trace id, span id)."""
    assert span.context is not None
    return span.context.trace_id, span.context.span_id


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def traceparent_of(span: ReadableSpan) -> str:
    assert span.context is not None
    context = span.context
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


async def record_two(db_url: str, pilots: Pilots) -> None:
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await Outbox("region", "intake", pilots.signers["region"]).record(
            conn, "region-p1", [ev.submitted(), ev.qualified()]
        )
    await engine.dispose()


async def relay_all(db_url: str, js: JetStreamContext) -> list[dict[str, str]]:
    """Publish every row; the headers of the messages, in stream order."""
    engine = make_engine(db_url)
    assert await Relay(engine, js).drain() == 2
    await engine.dispose()
    return [dict((await js.get_msg("ESS", seq)).headers or {}) for seq in (1, 2)]


async def trace_contexts(db_url: str) -> list[str | None]:
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        found = (await conn.scalars(select(outbox.c.trace_context).order_by(outbox.c.position))).all()
    await engine.dispose()
    return list(found)


async def test_one_trace_from_the_act_to_the_fold(
    db_url: str, js_stream: tuple[Client, JetStreamContext], pilots: Pilots, spans: InMemorySpanExporter
) -> None:
    _, js = js_stream
    with SWITCH.tracer.start_as_current_span("the act") as act:
        await record_two(db_url, pilots)
    [record] = named(spans, "ess.outbox record")
    assert parent_id(record) == act.get_span_context().span_id
    stored = await trace_contexts(db_url)
    assert stored == [json.dumps({"traceparent": traceparent_of(record)})] * 2

    headers = await relay_all(db_url, js)
    published = named(spans, "ess.relay publish")
    assert [h["traceparent"] for h in headers] == [traceparent_of(s) for s in published]
    assert [parent_id(s) for s in published] == [ids(record)[1]] * 2
    assert [dict(s.attributes or {})["ess.stream_seq"] for s in published] == [1, 2]
    for message_headers in headers:  # the trace travels beside the signed bytes, which stay as they were
        assert set(message_headers) == SIGNED | {"traceparent"}
    for seq in (1, 2):
        assert b"traceparent" not in ((await js.get_msg("ESS", seq)).data or b"")

    view = await ViewHolder.start(db_url, js, pilots, "region-funding")
    [outcome] = await view.catch_up(2)
    await view.close()
    assert outcome.applied == 2
    [batch] = named(spans, "ess.fold batch")
    assert {link.context.span_id for link in batch.links} == {ids(s)[1] for s in published}
    applied = named(spans, "ess.apply project_submitted") + named(spans, "ess.apply project_qualified")
    assert sorted(parent_id(s) or 0 for s in applied) == sorted(ids(s)[1] for s in published)
    assert {ids(s)[0] for s in applied} == {act.get_span_context().trace_id}
    assert all([link.context.span_id for link in s.links] == [ids(batch)[1]] for s in applied)


async def test_off_nothing_is_recorded_and_the_headers_are_the_signed_ones(
    db_url: str, js_stream: tuple[Client, JetStreamContext], pilots: Pilots
) -> None:
    _, js = js_stream
    assert not SWITCH.on
    await record_two(db_url, pilots)
    assert await trace_contexts(db_url) == [None, None]
    assert [set(h) for h in await relay_all(db_url, js)] == [SIGNED, SIGNED]


async def test_a_relay_that_does_not_trace_passes_the_recorded_context_on(
    db_url: str, js_stream: tuple[Client, JetStreamContext], pilots: Pilots
) -> None:
    _, js = js_stream
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    SWITCH.turn_on(provider)
    try:
        await record_two(db_url, pilots)  # recorded by a process that traced, then restarted without
    finally:
        SWITCH.turn_off()
    [record] = named(exporter, "ess.outbox record")
    headers = await relay_all(db_url, js)
    assert [h["traceparent"] for h in headers] == [traceparent_of(record)] * 2


def test_tracing_stays_off_without_an_endpoint() -> None:
    assert not setup.wanted({})
    assert not setup.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_SDK_DISABLED": "true"})
    assert setup.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://x:4318/v1/traces"})
    assert not setup.configure("intake", "region", "region-intake", {}) and not SWITCH.on


def test_a_log_line_inside_a_span_names_its_trace(spans: InMemorySpanExporter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    log = logging.getLogger("ess_core.test_tracing")
    log.addHandler(handler)
    try:
        with SWITCH.tracer.start_as_current_span("work") as span:
            log.warning("inside")
        log.warning("outside")
    finally:
        log.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert inside["span_id"] == f"{span.get_span_context().span_id:016x}"
    assert "trace_id" not in outside
