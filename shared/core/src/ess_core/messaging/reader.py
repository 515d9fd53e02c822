"""Reading the stream without a consumer: direct get of the next message on a subject filter, one after
another (the stream allows direct get). Readers that keep no durable state (`ess project show`,
`ess tail`, a service taking its own events back after a restore) read this way, so no identity needs the
right to create consumers beyond its own durable ones: the form of consumer creation that names the
consumer in the request body could otherwise rewrite any consumer of the stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js.errors import NotFoundError
from nats.js.manager import JetStreamManager

from ess_contracts.subjects import STREAM

# Headers the server adds to a direct get's answer; the message's own headers are the others.
SERVER_HEADERS = frozenset(
    {
        "Nats-Stream",
        "Nats-Subject",
        "Nats-Sequence",
        "Nats-Time-Stamp",
        "Nats-Last-Sequence",
        "Nats-Num-Pending",
    }
)


@dataclass(frozen=True)
class StoredMessage:
    stream_seq: int
    subject: str
    data: bytes
    headers: dict[str, str]  # as published
    time: datetime  # when the stream stored it


async def next_message(js: JetStreamManager, subjects: str, seq: int) -> StoredMessage | None:
    """The first message at or after `seq` whose subject matches `subjects`; None when there is none.

    A direct get may be answered by any replica, and one still catching up after an outage answers "none"
    for what it lacks: that "none" is asked again of the stream's leader, so a reader never stops early."""
    try:
        raw = await js.get_msg(STREAM, seq=max(seq, 1), subject=subjects, direct=True, next=True)
    except NotFoundError:
        try:
            raw = await js.get_msg(STREAM, seq=max(seq, 1), subject=subjects, next=True)
        except NotFoundError:
            return None
    headers = {k: v for k, v in (raw.headers or {}).items() if k not in SERVER_HEADERS}
    assert raw.seq is not None and raw.subject is not None and raw.time is not None
    return StoredMessage(raw.seq, raw.subject, raw.data or b"", headers, raw.time)


async def first_seq_at(js: JetStreamManager, when: datetime) -> int:
    """The sequence of the first message stored at or after `when` (the next one to come if none is)."""
    # nats-py's get_msg has no start_time: the same direct get request, written out.
    request = json.dumps({"start_time": when.astimezone(UTC).isoformat().replace("+00:00", "Z")}).encode()
    answer = await js._nc.request(f"{js._prefix}.DIRECT.GET.{STREAM}", request, timeout=js._timeout)
    if answer.headers and answer.headers.get("Status") == "404":
        return (await js.stream_info(STREAM)).state.last_seq + 1
    return int((answer.headers or {})["Nats-Sequence"])


async def read_stream(
    js: JetStreamManager, subjects: str, start: int = 1, stop: int | None = None
) -> AsyncIterator[StoredMessage]:
    """The messages on `subjects` from stream sequence `start` to `stop` (or the current end), in order."""
    seq = start
    while stop is None or seq <= stop:
        message = await next_message(js, subjects, seq)
        if message is None or (stop is not None and message.stream_seq > stop):
            return
        yield message
        seq = message.stream_seq + 1
