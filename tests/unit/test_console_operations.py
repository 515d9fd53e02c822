"""The operator pages' pure parts: a service's health from its figures, ages in French, a checkpoint's
agreement, the side-by-side grid; and the stream filter the services send to the server."""

from __future__ import annotations

from typing import Any

from ess_console.operations import side_by_side
from ess_console.operations_labels import agreement, health, seconds
from ess_core.service.stream_routes import stream_filter


def lag(**changes: Any) -> dict[str, Any]:
    figures = {"dead_letters": 0, "stream_last_seq": 10, "lag_seconds": 0.0}
    return figures | {"outbox_oldest_age_seconds": None} | changes


def test_health_names_the_worst_first() -> None:
    assert health(None) == ("down", "injoignable")
    assert health(lag(dead_letters=1, lag_seconds=500.0))[0] == "dead"
    assert health(lag(stream_last_seq=None))[0] == "broker"
    assert health(lag(lag_seconds=61.0)) == ("late", "en retard")
    assert health(lag(outbox_oldest_age_seconds=61.0))[0] == "late"
    assert health(lag(lag_seconds=59.0)) == ("ok", "en bonne santé")


def test_ages_are_said_in_seconds_then_minutes() -> None:
    assert (seconds(None), seconds(2.4), seconds(125.0)) == ("—", "2 s", "2 min 5 s")


def test_a_checkpoint_agrees_disagrees_or_stands_alone() -> None:
    assert agreement({"disagrees": True, "compared_with": 3})[0] == "divergent"
    assert agreement({"disagrees": False, "compared_with": 0})[0] == "alone"
    assert agreement({"disagrees": False, "compared_with": 2}) == ("agree", "✓ concordant")


def test_checkpoints_are_laid_out_by_kind_and_pilot() -> None:
    rows = [
        {"pilot": "state", "kind": "funding", "service": "state-funding"},
        {"pilot": "region", "kind": "evaluation", "service": "region-evaluation"},
        {"pilot": "region", "kind": "funding", "service": "region-funding"},
    ]
    grid = side_by_side(rows)
    assert grid["pilots"] == ["region", "state"] and grid["kinds"] == ["funding", "evaluation"]
    assert grid["cells"][("funding", "state")]["service"] == "state-funding"
    assert ("evaluation", "state") not in grid["cells"]


def test_filters_become_one_subject_for_the_server() -> None:
    assert stream_filter(None, None, None, None) == "ess.*.*.*.*.*"
    assert stream_filter("state", "funding", None, "p1") == "ess.state.funding.project.p1.*"
    assert stream_filter(None, None, "checkpoint_recorded", None) == "ess.*.*.*.*.checkpoint_recorded"
