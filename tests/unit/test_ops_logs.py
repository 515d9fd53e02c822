"""Service logs: one JSON object per line; a line written while an event is handled names the event;
quiet by default."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ess_core.service import logs
from tests.support.events import event, submitted


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter({"instance": "region-intake"}))
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_a_line_about_an_event_names_it(captured: io.StringIO) -> None:
    e = event(submitted(), "region", "intake", "P-1", 1)
    log = logging.getLogger("ess_core.test")
    with logs.about(e):
        log.warning("could not fold %s", "it", extra={"stream_seq": 12})
    log.warning("not about an event")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert first["message"] == "could not fold it" and first["level"] == "warning"
    assert (first["event_id"], first["correlation_id"], first["pilot"]) == (e.id, e.correlation_id, "region")
    assert (first["aggregate"], first["aggregate_id"], first["type"]) == (
        "project",
        "P-1",
        "project_submitted",
    )
    assert first["stream_seq"] == 12 and first["instance"] == "region-intake"
    assert "event_id" not in second and second["logger"] == "ess_core.test"


def test_a_traceback_stays_on_one_line(captured: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("x").exception("failed")
    [line] = captured.getvalue().splitlines()
    assert "RuntimeError: boom" in json.loads(line)["exc"]


def test_quiet_by_default() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure("state-funding", env={})
        assert root.level == logging.WARNING
        assert isinstance(root.handlers[0].formatter, logs.JsonFormatter)
        assert logging.getLogger("faststream").getEffectiveLevel() >= logging.WARNING
        logs.configure("state-funding", env={"ESS_LOG_LEVEL": "debug", "ESS_LOG_FORMAT": "text"})
        assert root.level == logging.DEBUG and logging.getLogger("uvicorn.access").level == logging.WARNING
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
