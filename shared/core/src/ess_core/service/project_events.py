"""`GET /projects/{id}/events` in every service: the signed events about a project, read from the stream and
checked here as every fold checks them (signature against the trust file, the issuer's authority, the key's
lifetime), each with its verdict. What a view shows, any partner can trace back to who signed it."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ess_contracts.codec import KEY, Rejected, decode
from ess_contracts.event import Event
from ess_contracts.subjects import BadSubject, parse_subject
from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.reader import StoredMessage, read_stream
from ess_core.service.project_read import ProjectId
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.sealed_reads import STAFF
from ess_core.tracing.spans import trace_id_in


class SignedEvent(BaseModel):
    stream_seq: int
    type: str
    pilot: str
    service: str
    key: str | None
    """The first characters of the signing key named in the headers."""
    stored_at: datetime
    occurred_at: datetime | None
    verdict: Literal["verified", "waiting", "refused"]
    """verified: signature, authority and key lifetime hold; waiting: parked (an unknown type, a newer
    version, a key's history not read back yet); refused: dead-lettered by every fold."""
    reason: str | None
    trace_id: str | None = None
    """The trace its message names in its headers (its author traced it: `ess_core.tracing`), where a
    tracing backend shows the act's path through every pilot; not signed, and absent when not traced."""


class ProjectEvents(BaseModel):
    project_id: str
    events: list[SignedEvent]


def project_events_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["project"])
    readers = require_service_pilot(None, *STAFF, "operator", cross_pilot_read_roles=())

    @router.get("/projects/{project_id}/events")
    async def project_events(
        project_id: ProjectId, _: Annotated[Principal, Depends(readers)]
    ) -> ProjectEvents:
        """Every message on the stream about the project, in stream order, with the verdict this service's
        trust file gives it. No payload: sealed or not, what was said stays in the views and files."""
        subjects = f"ess.*.*.project.{project_id}.*"
        events = [judged(message, runtime) async for message in read_stream(runtime.js, subjects)]
        return ProjectEvents(project_id=project_id, events=events)

    return router


def judged(message: StoredMessage, runtime: ServiceRuntime) -> SignedEvent:
    key = message.headers.get(KEY)
    try:
        parts = parse_subject(message.subject)
    except BadSubject:
        parts = None
    verdict: Event | Rejected
    try:
        verdict = decode(message.subject, message.data, message.headers, runtime.trust)
    except Rejected as rejected:
        verdict = rejected
    return SignedEvent(
        stream_seq=message.stream_seq,
        type=parts.event_type if parts else "?",
        pilot=parts.pilot if parts else "?",
        service=parts.service if parts else "?",
        key=f"{key[:8]}…" if key else None,
        stored_at=message.time,
        occurred_at=verdict.occurred_at if isinstance(verdict, Event) else None,
        verdict="verified" if isinstance(verdict, Event) else "waiting" if verdict.park else "refused",
        reason=verdict.reason if isinstance(verdict, Rejected) else None,
        trace_id=trace_id_in(message.headers),
    )
