"""`GET /stream/events` and `GET /stream/events/{stream_seq}` in every service: the stream as an operator
watches it (the console's live feed), read by direct get with the service's own broker identity (readers
create no consumer: docs/decisions/0001-stream-limits.md), each message checked as every fold checks it.

Filters go to the server as one subject (`ess.<pilot>.<service>.<aggregate>.<id>.<type>`, `*` where not
given), so a filtered read skips what does not match without fetching it. A page answers `next_after`: the
sequence to ask after next time, past what was read and what was scanned without a match."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from ess_contracts.subjects import ROOT, STREAM, BadSubject, parse_subject
from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.reader import StoredMessage, next_message, read_stream
from ess_core.service.project_events import SignedEvent, judged
from ess_core.service.runtime import ServiceRuntime

TAIL = 1000
"""Without `after`, a page reads the last TAIL stream sequences (a project's events: from the start)."""
Filter = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Operator = Annotated[Principal, Depends(require_service_pilot(None, "operator", "admin"))]


class StreamEvent(SignedEvent):
    subject: str
    aggregate: str
    aggregate_id: str
    message_id: str | None
    """`Nats-Msg-Id`: the event's id as its author published it."""


class StreamPage(BaseModel):
    subject: str
    """The filter the server applied."""
    last_seq: int
    """The stream's last sequence when the page was read."""
    next_after: int
    events: list[StreamEvent]


class StreamEventDetail(StreamEvent):
    headers: dict[str, str]
    """As published: signature, key, message id, trace."""
    envelope: dict[str, Any] | None
    """The message as stored (sealed texts stay sealed); None when it is not JSON."""
    raw: str | None = None
    """The first bytes of a message that is not JSON, as text."""


def stream_filter(pilot: str | None, service: str | None, event_type: str | None, project: str | None) -> str:
    aggregate = ("project", project) if project else ("*", "*")
    return ".".join((ROOT, pilot or "*", service or "*", *aggregate, event_type or "*"))


def stream_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/stream/events")
    async def stream_events(
        _: Operator,
        after: Annotated[int | None, Query(ge=0)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        pilot: Filter = None,
        service: Filter = None,
        type: Filter = None,
        project: Filter = None,
    ) -> StreamPage:
        """Messages after stream sequence `after`, oldest first, at most `limit`; without `after`, the
        latest `limit` among the last 1,000 sequences (of a project: all of its). Each with the verdict
        of this service's trust file; no payload (open one by its sequence)."""
        subject = stream_filter(pilot, service, type, project)
        last = (await runtime.js.stream_info(STREAM)).state.last_seq
        if after is None:
            window = limit if subject == stream_filter(None, None, None, None) else TAIL  # all match
            start = 1 if project else max(1, last - window + 1)
            found = [m async for m in read_stream(runtime.js, subject, start, last)][-limit:]
            return StreamPage(subject=subject, last_seq=last, next_after=last, events=_judged(found, runtime))
        found = []
        async for message in read_stream(runtime.js, subject, after + 1, last):
            found.append(message)
            if len(found) == limit:
                break
        next_after = found[-1].stream_seq if len(found) == limit else max(last, after)
        events = _judged(found, runtime)
        return StreamPage(subject=subject, last_seq=last, next_after=next_after, events=events)

    @router.get("/stream/events/{stream_seq}")
    async def stream_event(stream_seq: int, _: Operator) -> StreamEventDetail:
        """One message of the stream: its envelope as stored, its headers, and its verdict."""
        message = await next_message(runtime.js, f"{ROOT}.>", stream_seq)
        if message is None or message.stream_seq != stream_seq:
            raise HTTPException(404, f"no message at stream sequence {stream_seq}")
        envelope, raw = _envelope(message.data)
        seen = _event(message, runtime).model_dump()
        return StreamEventDetail(**seen, headers=message.headers, envelope=envelope, raw=raw)

    return router


def _judged(messages: list[StoredMessage], runtime: ServiceRuntime) -> list[StreamEvent]:
    return [_event(message, runtime) for message in messages]


def _event(message: StoredMessage, runtime: ServiceRuntime) -> StreamEvent:
    try:
        _, _, aggregate, aggregate_id, _ = parse_subject(message.subject)
    except BadSubject:
        aggregate, aggregate_id = "?", "?"
    return StreamEvent(
        **judged(message, runtime).model_dump(),
        subject=message.subject,
        aggregate=aggregate,
        aggregate_id=aggregate_id,
        message_id=message.headers.get("Nats-Msg-Id"),
    )


def _envelope(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        envelope = json.loads(data)
    except ValueError:
        return None, data[:2000].decode("utf-8", "replace")
    return (envelope, None) if isinstance(envelope, dict) else (None, data[:2000].decode("utf-8", "replace"))
