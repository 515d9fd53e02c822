"""Operations on what could not be applied, and on the journal: the routes behind `ess dlq` and
`ess republish`. Every service has them; only its own pilot's operators and admins may call them."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select

from ess_core.auth import Principal, require_service_pilot
from ess_core.messaging.recovery import NotRejected, retry
from ess_core.messaging.relay import republish_all
from ess_core.messaging.schema import dead_letters, outbox, parked
from ess_core.service.runtime import ServiceRuntime

log = logging.getLogger(__name__)

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
    """A republish of the journal: started by POST /republish, followed with GET /republish."""

    service: str
    journal: int
    published: int
    done: bool = False
    error: str | None = None


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
    async def dlq_retry(stream_seq: int, _: OperatorOwn) -> Retried:
        """Verify the stored message again and fold it, in one transaction with the bookkeeping; it
        leaves the dead letters or the parked events when applied, else it is back with today's reason."""
        # An operator's act too: the message goes through the same checks as on arrival, so a retry can
        # only apply what the fold would apply (a forged message stays rejected).
        try:
            result = await retry(runtime.runner, stream_seq)
        except NotRejected as missing:
            raise HTTPException(404, str(missing)) from missing
        return Retried(
            stream_seq=result.stream_seq, was=result.was, outcome=result.outcome, reason=result.reason
        )

    latest: list[Republished] = []  # this process's last republish, if any
    running: set[asyncio.Task[None]] = set()

    @router.post("/republish", status_code=202)
    async def republish(_: Admin) -> Republished:
        """Start publishing this service's whole journal again (after a lost stream); GET /republish
        follows it. Twice changes nothing: the broker drops repeats inside its duplicate window, the views
        drop them by event id after it. Then the projection binds its durable consumer again (created
        anew if the stream was lost)."""
        if latest and not latest[-1].done:
            raise HTTPException(409, "a republish is already running: GET /republish follows it")
        async with runtime.engine.connect() as conn:
            journal = await conn.scalar(select(func.count()).select_from(outbox)) or 0
        latest[:] = [Republished(service=consumer, journal=journal, published=0)]
        task = asyncio.create_task(_republish(runtime, latest[0]))
        running.add(task)
        task.add_done_callback(running.discard)
        return latest[0]

    @router.get("/republish")
    async def republish_progress(_: OperatorOwn) -> Republished:
        """The last republish of this process: events published so far, done, the error if it failed."""
        if not latest:
            raise HTTPException(404, "no republish since this service started")
        return latest[0]

    return router


async def _republish(runtime: ServiceRuntime, run: Republished) -> None:
    def progress(published: int) -> None:
        run.published = published

    try:
        run.published = await republish_all(runtime.engine, runtime.js, on_progress=progress)
        await runtime.restart_projection()
    except Exception as exc:  # said to whoever follows it; the journal is intact, a new republish may go
        log.exception("republish failed")
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        run.done = True
