"""One submission is one trace across pilots (issue 24): intake and the three pilots' funding services as
processes, exporting over OTLP/HTTP to a collector in the test. The trace holds intake's request, its
outbox record and relay publish, and a span in every funding service, each the child of the publish
span whose `traceparent` travelled in the NATS headers; each funding service's batch fold links to it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.deployment import Deployment, deployment
from tests.support.intake_data import submission
from tests.support.otlp_receiver import Collector, ReceivedSpan, otlp_collector

pytestmark = [pytest.mark.system, pytest.mark.timeout(120)]

INTAKE = ("region", "intake")
FUNDERS = [("region", "funding"), ("state", "funding"), ("bdt", "funding")]
PROCESSES = [INTAKE, *FUNDERS]


def submit(system: Deployment) -> str:
    with system.client(*INTAKE) as intake:
        answer = intake.post("/projects", json=submission())
    assert answer.status_code == 201, answer.text
    return str(answer.json()["project_id"])


def submission_trace(collector: Collector, project_id: str, limit: float = 20.0) -> list[ReceivedSpan]:
    """The spans of the trace whose outbox record holds the project's submission, once every funding
    service has sent its span of it."""
    deadline = time.monotonic() + limit
    while True:
        spans = collector.received()
        records = [
            s
            for s in spans
            if s.span.name == "ess.outbox record"
            and s.attributes.get("ess.aggregate_id") == project_id
            and "project_submitted" in s.attributes.get("ess.event_types", [])  # type: ignore[operator]
        ]
        if records:
            trace = [s for s in spans if s.trace_id == records[0].trace_id]
            applied = {s.process for s in trace if s.span.name == "ess.apply project_submitted"}
            if applied >= {f"{p}-{s}" for p, s in FUNDERS}:
                return trace
        assert time.monotonic() < deadline, f"no complete trace of {project_id}: {len(spans)} spans received"
        time.sleep(0.1)


def one(spans: list[ReceivedSpan], name: str, process: str) -> ReceivedSpan:
    found = [s for s in spans if s.span.name == name and s.process == process]
    assert len(found) == 1, (name, process, [(s.span.name, s.process) for s in spans])
    return found[0]


def ancestors(span: ReceivedSpan, trace: list[ReceivedSpan]) -> list[ReceivedSpan]:
    by_id = {s.span.span_id: s for s in trace}
    found: list[ReceivedSpan] = []
    while span.span.parent_span_id in by_id:
        span = by_id[span.span.parent_span_id]
        found.append(span)
    return found


def test_one_submission_is_one_trace_from_intake_to_every_pilots_view(tmp_path: Path) -> None:
    with otlp_collector() as collector, deployment(tmp_path / "ess") as system:
        for name in PROCESSES:
            system.extra_env[name] = {
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds: spans leave at once
            }
        system.start_all(PROCESSES)
        project_id = submit(system)
        trace = submission_trace(collector, project_id)
        everything = collector.received()
        with system.client("state", "funding") as funding:  # what the console's project page links to
            signed = funding.get(f"/projects/{project_id}/events").json()["events"]

    assert {s.process for s in trace} == {"region-intake", "region-funding", "state-funding", "bdt-funding"}
    assert {str(s.resource["service.name"]) for s in trace} == {"ess-intake", "ess-funding"}
    assert {str(s.resource["ess.pilot"]) for s in trace} == {"region", "state", "bdt"}
    assert [e["trace_id"] for e in signed if e["type"] == "project_submitted"] == [trace[0].trace_id]

    # intake: the request (FastAPI's server span) is the root, the act's outbox record under it, the
    # relay's publish the record's child
    request = one(trace, "POST /projects", "region-intake")
    assert request.span.parent_span_id == b""
    assert request.attributes["http.response.status_code"] == 201
    record = next(s for s in trace if s.span.name == "ess.outbox record")
    assert request in ancestors(record, trace)
    published = [
        s
        for s in trace
        if s.span.name == "ess.relay publish" and s.span.parent_span_id == record.span.span_id
    ]
    submitted = [
        s for s in published if ".project_submitted" in str(s.attributes["messaging.destination.name"])
    ]
    assert len(submitted) == 1, [s.attributes for s in published]
    publish = submitted[0]

    # every pilot's funding service: a span in this trace, the publish span's child, linked to its batch,
    # whose fold span links back to the publish span (the event it applied)
    by_id = {(s.process, s.span.span_id): s for s in everything}
    for pilot, service in FUNDERS:
        process = f"{pilot}-{service}"
        applied = one(trace, "ess.apply project_submitted", process)
        assert applied.span.parent_span_id == publish.span.span_id
        assert applied.attributes["ess.aggregate_id"] == project_id
        (batch_link,) = applied.span.links
        batch = by_id[(process, batch_link.span_id)]
        assert batch.span.name == "ess.fold batch"
        assert publish.span.span_id in {link.span_id for link in batch.span.links}
        assert publish.span.trace_id in {link.trace_id for link in batch.span.links}
