"""`GET /lag` and `GET /checkpoints` in every service: what an operator watches at a glance (the console's
operations page). The first is this service's own account: how far behind the stream it is, in sequences
and in seconds, and what waits in its outbox; the second every service's latest signed checkpoint as the
stream holds them, compared as `ess view digest` compares them (`checkpoint_comparison`)."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ess_contracts.subjects import ROOT, STREAM
from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.reader import next_message
from ess_core.service.checkpoint_comparison import compare, latest_checkpoints
from ess_core.service.metrics import read_figures
from ess_core.service.runtime import ServiceRuntime

log = logging.getLogger(__name__)
Operator = Annotated[Principal, Depends(require_service_pilot(None, "operator", "admin"))]


class Lag(BaseModel):
    pilot: str
    service: str
    applied_position: int
    applied_events: int
    stream_last_seq: int | None
    """None: the broker did not answer (then the lag is unknown, never shown as zero)."""
    lag: int | None
    """Stream sequences past what this service applied (checkpoints between them counted)."""
    lag_seconds: float | None
    """Age of the oldest stream message it has not applied; 0 when it has applied everything."""
    outbox_backlog: int
    outbox_oldest_age_seconds: float | None
    """Age of its oldest unpublished event; None when nothing waits."""
    parked: int
    dead_letters: int


class CheckpointRow(BaseModel):
    service: str
    """`<pilot>-<service>` of the service that signed it."""
    pilot: str
    kind: str
    checkpoint_seq: int
    occurred_at: datetime
    stream_sequence: int
    applied_events: int
    view_digest: str
    own_view_digest: str | None
    parked: int
    dead_letters: int
    catalogue_version: str
    trust_hash: str
    compared_with: int
    """How many other services reported the same applied events (0: compared with none)."""
    disagrees: bool


class Checkpoints(BaseModel):
    agree: bool
    disagreeing: list[str]
    unverified: list[str]
    other_trust: list[str]
    checkpoints: list[CheckpointRow]


def watch_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/lag")
    async def lag(_: Operator) -> Lag:
        """This service's lag behind the stream and its outbox backlog, with their ages."""
        async with runtime.engine.connect() as conn:
            f = await read_figures(conn, ())
        last, lag_s = await _stream_lag(runtime, f.applied_position)
        return Lag(
            pilot=runtime.settings.pilot,
            service=runtime.settings.service,
            applied_position=f.applied_position,
            applied_events=f.applied_events,
            stream_last_seq=last,
            lag=None if last is None else max(0, last - f.applied_position),
            lag_seconds=lag_s,
            outbox_backlog=f.backlog,
            outbox_oldest_age_seconds=f.oldest_unpublished_age,
            parked=sum(f.parked.values()),
            dead_letters=f.dead_letters,
        )

    @router.get("/checkpoints")
    async def checkpoints(_: Operator) -> Checkpoints:
        """Every service's latest checkpoint (every pilot's), signatures verified, and which agree: those
        reporting the same applied events must hold the same digest; the odd one out is named."""
        found, unverified = await latest_checkpoints(runtime.js, runtime.trust)
        comparison = compare(found, unverified, runtime.trust.digest)
        rows = []
        for c in sorted(found, key=lambda c: c.service):
            f = c.figures
            rows.append(
                CheckpointRow(
                    **f.model_dump(exclude={"type", "reporting_service"}),
                    service=c.service,
                    pilot=c.event.pilot,
                    kind=c.kind,
                    checkpoint_seq=c.stream_seq,
                    occurred_at=c.event.occurred_at,
                    compared_with=len(comparison.groups[c.group]) - 1,
                    disagrees=c.service in comparison.disagreeing,
                )
            )
        return Checkpoints(
            agree=comparison.agree,
            disagreeing=comparison.disagreeing,
            unverified=comparison.unverified,
            other_trust=comparison.other_trust,
            checkpoints=rows,
        )

    return router


async def _stream_lag(runtime: ServiceRuntime, applied: int) -> tuple[int | None, float | None]:
    """The stream's last sequence, and how long the first message past `applied` has waited."""
    try:
        last = (await runtime.js.stream_info(STREAM)).state.last_seq
        waiting = await next_message(runtime.js, f"{ROOT}.>", applied + 1) if last > applied else None
    except Exception:  # broker away: unknown, said so rather than zero
        log.warning("stream unreachable for /lag", exc_info=True)
        return None, None
    if waiting is None:
        return last, 0.0
    return last, max(0.0, (datetime.now(UTC) - waiting.time).total_seconds())
