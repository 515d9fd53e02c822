"""How `ess view digest` judges checkpoints: only services that applied the same events compare."""

from __future__ import annotations

from ess_contracts.ops import CheckpointRecorded
from ess_core.service.checkpoint_comparison import Checkpoint, compare
from tests.support import events as ev

TRUST = "a" * 64


def checkpoint(
    service: str, seq: int, digest: str, count: int | None = None, own: str | None = None
) -> Checkpoint:
    figures = CheckpointRecorded(
        reporting_service=service,
        stream_sequence=seq,
        applied_events=count if count is not None else seq,
        view_digest=digest * 64,
        parked=0,
        dead_letters=0,
        catalogue_version="v1",
        trust_hash=TRUST,
        own_view_digest=own * 64 if own else None,
    )
    pilot, name = service.split("-")
    return Checkpoint(service, 100, ev.event(figures, pilot, name, name, 1))  # type: ignore[arg-type]


def test_services_with_the_same_events_and_digest_agree() -> None:
    result = compare([checkpoint("region-funding", 10, "1"), checkpoint("state-funding", 10, "1")])
    assert result.agree and result.disagreeing == []


def test_the_lone_different_digest_is_named() -> None:
    result = compare(
        [
            checkpoint("region-funding", 10, "1"),
            checkpoint("state-funding", 10, "1"),
            checkpoint("bdt-funding", 10, "2"),
        ]
    )
    assert result.disagreeing == ["bdt-funding"]


def test_an_even_split_names_every_member() -> None:
    result = compare([checkpoint("region-funding", 10, "1"), checkpoint("state-funding", 10, "2")])
    assert result.disagreeing == ["region-funding", "state-funding"]


def test_services_at_different_positions_are_not_compared() -> None:
    result = compare([checkpoint("region-funding", 10, "1"), checkpoint("state-funding", 12, "2")])
    assert result.agree and len(result.groups) == 2


def test_same_position_but_different_counts_are_not_compared() -> None:
    result = compare([checkpoint("region-funding", 10, "1", 9), checkpoint("state-funding", 10, "2", 10)])
    assert result.agree and len(result.groups) == 2


def test_an_unverified_checkpoint_makes_the_report_fail() -> None:
    result = compare([checkpoint("region-funding", 10, "1")], ["ess.x: bad signature"])
    assert not result.agree


def test_services_of_one_kind_also_compare_the_views_only_they_hold() -> None:
    evaluation = [checkpoint(f"{p}-evaluation", 10, "1", own="e") for p in ("region", "state")]
    tampered = checkpoint("bdt-evaluation", 10, "1", own="f")
    funding = checkpoint("region-funding", 10, "1")  # holds no evaluation views: not in that comparison
    result = compare([*evaluation, tampered, funding])
    assert result.disagreeing == ["bdt-evaluation"]
    assert compare([*evaluation, funding]).agree


def test_a_service_still_on_an_older_key_history_is_compared_apart_and_named() -> None:
    """After a key's end, a service not yet restarted judges with the older trust file: its digest may
    differ (it still applies what the end refuses), so it is neither compared with the others nor lost."""
    current, older = checkpoint("region-funding", 10, "1"), checkpoint("bdt-funding", 10, "2")
    older = Checkpoint(
        older.service,
        older.stream_seq,
        older.event.model_copy(update={"payload": older.figures.model_copy(update={"trust_hash": "b" * 64})}),
    )
    result = compare([current, checkpoint("state-funding", 10, "1"), older], trust_hash=TRUST)
    assert result.disagreeing == [] and result.other_trust == ["bdt-funding"]
    assert len(result.groups) == 2
