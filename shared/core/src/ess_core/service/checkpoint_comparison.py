"""Every service's latest signed checkpoint, read from the stream, compared: `ess view digest` and the
services' `GET /checkpoints` (the console's operator pages) read it the same way.

Services compare only when they report the same applied events (stream sequence and count) under the
same catalogue and trust file: those must hold the same digest. The lone digest that differs from the
others of its group names its service; a group split evenly names every member. Inside a group, services
of one kind (the three evaluation services) also compare the digest of the views only they hold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.key_history import read_key_history

CHECKPOINTS = "ess.*.*.checkpoint.*.checkpoint_recorded"


@dataclass(frozen=True)
class Checkpoint:
    service: str
    stream_seq: int
    event: Event

    @property
    def figures(self) -> CheckpointRecorded:
        assert isinstance(self.event.payload, CheckpointRecorded)
        return self.event.payload

    @property
    def group(self) -> tuple[int, int, str, str]:
        f = self.figures
        return (f.stream_sequence, f.applied_events, f.catalogue_version, f.trust_hash)

    @property
    def kind(self) -> str:
        return self.event.service


@dataclass(frozen=True)
class Comparison:
    checkpoints: list[Checkpoint]
    disagreeing: list[str]
    groups: dict[tuple[int, int, str, str], list[Checkpoint]]
    unverified: list[str]
    other_trust: list[str] = field(default_factory=list)
    """Services whose checkpoint judged with another trust file than the reader's: one restarted on a
    newer key history has not reached them yet, or they run ahead of the reader's copy."""

    @property
    def agree(self) -> bool:
        return not self.disagreeing and not self.unverified


async def latest_checkpoints(js: JetStreamContext, trust: TrustStore) -> tuple[list[Checkpoint], list[str]]:
    """The last checkpoint on each checkpoint subject, verified like any event before it is believed. An
    ended key's chain is read from the stream only when a checkpoint waits on it (`ess status` polls)."""
    info = await js.stream_info(STREAM, subjects_filter=CHECKPOINTS)
    last = [await js.get_last_msg(STREAM, subject) for subject in sorted((info.state.subjects or {}).keys())]
    judged = [_judge(msg, trust) for msg in last]
    if any(isinstance(j, Rejected) and j.park for j in judged) and trust.history.runs:
        await read_key_history(js, trust)  # a checkpoint signed by a key that has since ended
        judged = [_judge(msg, trust) for msg in last]
    found, unverified = [], []
    for msg, verdict in zip(last, judged, strict=True):
        if isinstance(verdict, Rejected):
            unverified.append(f"{msg.subject}: {verdict.reason}")
        else:
            found.append(Checkpoint(f"{verdict.pilot}-{verdict.service}", msg.seq or 0, verdict))
    return found, unverified


def _judge(msg: RawStreamMsg, trust: TrustStore) -> Event | Rejected:
    try:
        return decode(msg.subject or "", msg.data or b"", dict(msg.headers or {}), trust)
    except Rejected as rejected:
        return rejected


def compare(
    checkpoints: list[Checkpoint], unverified: list[str] | None = None, trust_hash: str | None = None
) -> Comparison:
    groups: dict[tuple[int, int, str, str], list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        groups[checkpoint.group].append(checkpoint)
    disagreeing: set[str] = set()
    for members in groups.values():
        disagreeing |= _minority(members, lambda c: c.figures.view_digest)
        kinds: dict[str, list[Checkpoint]] = defaultdict(list)
        for c in members:
            if c.figures.own_view_digest is not None:
                kinds[c.kind].append(c)
        for same_kind in kinds.values():
            disagreeing |= _minority(same_kind, lambda c: c.figures.own_view_digest)
    other = sorted(c.service for c in checkpoints if trust_hash and c.figures.trust_hash != trust_hash)
    return Comparison(checkpoints, sorted(disagreeing), dict(groups), unverified or [], other)


def _minority(members: list[Checkpoint], digest: Callable[[Checkpoint], str | None]) -> set[str]:
    """The services whose digest is not the majority's (all of them when no digest has a majority)."""
    counts = Counter(digest(c) for c in members)
    if len(counts) < 2:
        return set()
    (top, top_count), (_, second_count) = counts.most_common(2)
    majority = top if top_count > second_count else None
    return {c.service for c in members if digest(c) != majority}
