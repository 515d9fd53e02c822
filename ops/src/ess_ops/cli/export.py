"""`ess export` and `ess verify`: the stream, or one project's part of it, as a file that any partner (a
funder's auditor, years later) checks offline with nothing but the trust file: no service, no broker.

The file is JSON lines: a header (`format`, `version`, `stream`, `subjects`, `exported_at`), then one line
per message with its stream sequence, subject, headers and bytes (base64) exactly as stored, since a
signature covers the bytes as received.

`verify` decodes each message as every service does (signature against the trust file, the key's owner,
the envelope, the authority rules of ess_contracts.authority), folds the shared views from what passes
into a scratch database, names each message that fails and why, and recomputes the digest each service's
latest checkpoint in the file states, at that checkpoint's position.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from nats.js import JetStreamContext
from sqlalchemy import select

from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM, project_filter
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import Fold, Incoming
from ess_core.messaging.reader import read_stream
from ess_core.messaging.schema import dead_letters, parked
from ess_ops.cli.project import scratch_database
from ess_views import shared_views

FORMAT, VERSION = "ess-export", 1


class ExportError(ValueError):
    """The file is not an export this version can read."""


async def export(js: JetStreamContext, out: IO[str], project_id: str | None = None) -> int:
    """Write the stream's messages (or one project's) to `out`; returns how many."""
    subjects = project_filter(project_id) if project_id else "ess.>"
    header = {
        "format": FORMAT,
        "version": VERSION,
        "stream": STREAM,
        "subjects": subjects,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out.write(json.dumps(header, sort_keys=True) + "\n")
    count = 0
    async for stored in read_stream(js, subjects):
        line = {
            "seq": stored.stream_seq,
            "subject": stored.subject,
            "headers": dict(stored.headers or {}),
            "data": base64.b64encode(stored.data).decode(),
        }
        out.write(json.dumps(line, sort_keys=True) + "\n")
        count += 1
    return count


def read_export(path: Path) -> tuple[dict[str, Any], list[Incoming]]:
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError) as exc:
        raise ExportError(f"{path}: no export header ({exc})") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ExportError(f"{path}: not an {FORMAT} version {VERSION} file (header {header})")
    return header, list(_messages(path, lines))


def _messages(path: Path, lines: Iterator[str]) -> Iterator[Incoming]:
    for number, text in enumerate(lines, start=2):
        try:
            raw = json.loads(text)
            yield Incoming(int(raw["seq"]), raw["subject"], base64.b64decode(raw["data"]), raw["headers"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportError(f"{path}, line {number}: not a message ({exc})") from None


@dataclass(frozen=True)
class Finding:
    seq: int
    subject: str
    reason: str
    kind: str
    """`dead`: never applied as it is; `gap`, `unknown`: waits for an earlier event, a newer catalogue."""


@dataclass(frozen=True)
class CheckpointCheck:
    service: str
    seq: int  # the checkpoint's own position in the file
    position: int  # the stream sequence it reports on
    stated: str
    recomputed: str

    @property
    def agrees(self) -> bool:
        return self.stated == self.recomputed


@dataclass
class Verdict:
    subjects: str
    messages: int
    applied: int
    digest: str
    findings: list[Finding] = field(default_factory=list)
    checkpoints: list[CheckpointCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and all(c.agrees for c in self.checkpoints)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "subjects": self.subjects,
            "messages": self.messages,
            "applied": self.applied,
            "digest": self.digest,
            "findings": [vars(f) for f in self.findings],
            "checkpoints": [{**vars(c), "agrees": c.agrees} for c in self.checkpoints],
        }


def judge(messages: list[Incoming], trust: TrustStore) -> list[tuple[Incoming, Event | Rejected]]:
    judged: list[tuple[Incoming, Event | Rejected]] = []
    for message in messages:
        try:
            judged.append((message, decode(message.subject, message.data, message.headers, trust)))
        except Rejected as rejected:
            judged.append((message, rejected))
    return judged


async def fold_digests(
    items: list[tuple[Incoming, Event | Rejected]], positions: Iterable[int] = ()
) -> tuple[dict[int, str], str, list[Finding]]:
    """One fold of the items in stream order, into a scratch database: the shared views' digest at each of
    `positions` (what a service that had applied up to there held), at the end, and every message the fold
    refused or holds back. A fold depends on the set of events, not on where its batches were cut."""
    views, fold = shared_views(), Fold(shared_views())
    ordered = sorted(items, key=lambda item: item[0].stream_seq)
    seqs = [message.stream_seq for message, _ in ordered]
    at: dict[int, str] = {}
    done = 0
    async with scratch_database() as engine:
        for stop in sorted(set(positions)):
            upto = bisect.bisect_right(seqs, stop)
            async with engine.begin() as conn:
                await fold.apply_batch(conn, ordered[done:upto])
                at[stop] = await view_digest(conn, views)
            done = upto
        async with engine.begin() as conn:
            await fold.apply_batch(conn, ordered[done:])
            digest = await view_digest(conn, views)
            dead = (await conn.execute(select(dead_letters))).all()
            held = (await conn.execute(select(parked))).all()
    findings = [Finding(r.stream_seq, r.subject, r.reason, "dead") for r in dead]
    findings += [Finding(r.stream_seq, r.subject, r.reason, r.kind) for r in held]
    return at, digest, sorted(findings, key=lambda f: f.seq)


async def fold_digest(items: list[tuple[Incoming, Event | Rejected]]) -> tuple[str, list[Finding]]:
    """The shared views' digest over these messages, and every one the fold refused or holds back."""
    _, digest, findings = await fold_digests(items)
    return digest, findings


def latest_checkpoints(
    items: list[tuple[Incoming, Event | Rejected]],
) -> dict[str, tuple[int, CheckpointRecorded]]:
    found: dict[str, tuple[int, CheckpointRecorded]] = {}
    for message, event in items:
        if isinstance(event, Event) and isinstance(event.payload, CheckpointRecorded):
            found[event.payload.reporting_service] = (message.stream_seq, event.payload)
    return found


async def verify(path: Path, trust: TrustStore) -> Verdict:
    header, messages = read_export(path)
    trust.history.resolve((m.data, m.headers) for m in messages)  # what each ended key vouched for
    items = judge(messages, trust)
    whole = header["subjects"] == "ess.>"  # a project's part: the checkpoints cover the whole stream
    checkpoints = sorted(latest_checkpoints(items).items()) if whole else []
    at, digest, findings = await fold_digests(items, (f.stream_sequence for _, (_, f) in checkpoints))
    verdict = Verdict(header["subjects"], len(messages), len(messages) - len(findings), digest, findings)
    verdict.checkpoints = [
        CheckpointCheck(service, seq, f.stream_sequence, f.view_digest, at[f.stream_sequence])
        for service, (seq, f) in checkpoints
    ]
    return verdict
