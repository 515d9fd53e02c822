"""The console's project page names the trace of the project's submission when intake traced it (issue
24), with a link to the pilot's tracing backend when `ESS_CONSOLE_TRACE_URL` says where."""

from __future__ import annotations

from typing import Any

from ess_console.app import submission_trace
from ess_console.settings import ConsoleSettings

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def settings(**env: str) -> ConsoleSettings:
    return ConsoleSettings.from_env({"ESS_PILOT": "region", "ESS_CONSOLE_FUNDING_URL": "http://f", **env})


def events(*pairs: tuple[str, str | None]) -> dict[str, Any]:
    return {"events": [{"type": kind, "trace_id": trace} for kind, trace in pairs]}


def test_the_submissions_trace_is_linked_when_the_console_knows_the_backend() -> None:
    signed = events(("project_qualified", "f" * 32), ("project_submitted", TRACE))
    traced = settings(ESS_CONSOLE_TRACE_URL="https://traces.example/trace/{trace_id}")
    assert submission_trace(signed, traced) == {"id": TRACE, "url": f"https://traces.example/trace/{TRACE}"}
    assert submission_trace(signed, settings()) == {"id": TRACE, "url": None}


def test_no_trace_when_the_submission_was_not_traced() -> None:
    assert submission_trace(events(("project_submitted", None)), settings()) is None
    assert submission_trace(None, settings()) is None
