"""Operations on what could not be applied, and on the journal: the routes behind `ess dlq` and
`ess republish`. Every service has them; only its own pilot's operators and admins may call them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select

from ess_shared.auth import Principal, require_service_pilot
from ess_shared.messaging.recovery import NotRejected, retry
from ess_shared.messaging.relay import republish_all
from ess_shared.messaging.schema import dead_letters, outbox, parked
from ess_shared.service.runtime import ServiceRuntime

OperatorOwn = Annotated[Principal, Depends(require_service_pilot(None, "operator", "admin"))]
Admin = Annotated[Principal, Depends(require_service_pilot(None, "admin"))]


class Rejection(BaseModel):
    stream_seq: int
    subject: str
    consumer: str
    kind: Literal["dead", "gap", "unknown"]
    reason: str
    deliveries: int | None = None  # known for dead letters; parked events wait without being redelivered


class Rejections(BaseModel):
    service: str
    dead_letters: int
    parked: int
    items: list[Rejection]


class Retried(BaseModel):
    stream_seq: int
    was: str
    outcome: Literal["applied", "duplicate", "parked", "dead"]
    reason: str | None = None


class Republished(BaseModel):
    service: str
    journal: int
    published: int


def operations_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])
    consumer = runtime.settings.instance

    @router.get("/dlq")
    async def dlq(_: OperatorOwn) -> Rejections:
        """Dead letters and parked events, in stream order."""
        async with runtime.engine.connect() as conn:
            dead = (await conn.execute(select(dead_letters))).all()
            held = (await conn.execute(select(parked))).all()
        items = [
            Rejection(
                stream_seq=r.stream_seq,
                subject=r.subject,
                consumer=consumer,
                kind="dead",
                reason=r.reason,
                deliveries=r.deliveries,
            )
            for r in dead
        ] + [
            Rejection(
                stream_seq=r.stream_seq, subject=r.subject, consumer=consumer, kind=r.kind, reason=r.reason
            )
            for r in held
        ]
        items.sort(key=lambda r: r.stream_seq)
        return Rejections(service=consumer, dead_letters=len(dead), parked=len(held), items=items)

    @router.post("/dlq/{stream_seq}/retry")
    async def dlq_retry(stream_seq: int, _: Admin) -> Retried:
        """Verify the stored message again and fold it, in one transaction with the bookkeeping; it
        leaves the dead letters or the parked events when applied, else it is back with today's reason."""
        try:
            result = await retry(runtime.runner, stream_seq)
        except NotRejected as missing:
            raise HTTPException(404, str(missing)) from missing
        return Retried(
            stream_seq=result.stream_seq, was=result.was, outcome=result.outcome, reason=result.reason
        )

    @router.post("/republish")
    async def republish(_: Admin) -> Republished:
        """Publish this service's whole journal again (after a lost stream). Twice changes nothing: the
        broker drops repeats inside its duplicate window, the views drop them by event id after it.
        Then the projection binds its durable consumer again (created anew if the stream was lost)."""
        async with runtime.engine.connect() as conn:
            journal = await conn.scalar(select(func.count()).select_from(outbox)) or 0
        published = await republish_all(runtime.engine, runtime.js)
        await runtime.restart_projection()
        return Republished(service=consumer, journal=journal, published=published)

    return router
