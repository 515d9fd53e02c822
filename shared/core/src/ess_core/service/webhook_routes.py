"""The delivery log of a service's webhooks (operators), and a replay from a point (admins): the routes
behind `ess webhooks log` and `ess webhooks replay`. A service with no webhook answers 404."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select

from ess_core.messaging.schema import webhook_delivery as delivery
from ess_core.service.operations import Admin, OperatorOwn
from ess_core.service.runtime import ServiceRuntime

State = Literal["pending", "delivered", "dead"]


class Delivery(BaseModel):
    delivery_id: str
    webhook: str
    generation: int
    event_id: str
    event_type: str
    stream_seq: int
    state: State
    attempts: int
    next_try_at: str
    created_at: str
    delivered_at: str | None
    last_status: int | None
    last_error: str | None


class DeliveryLog(BaseModel):
    webhooks: list[str]
    counts: dict[str, int]
    items: list[Delivery]


class ReplayRequest(BaseModel):
    """Where to start again: a stream sequence, or an instant (UTC); exactly one."""

    from_sequence: int | None = Field(None, ge=1)
    from_time: datetime | None = None

    @model_validator(mode="after")
    def _one_start(self) -> "ReplayRequest":
        if (self.from_sequence is None) == (self.from_time is None):
            raise ValueError("give from_sequence or from_time, one of them")
        return self


class ReplayStarted(BaseModel):
    generation: int
    replayed_from: str


def webhooks_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["webhooks"])

    def listener() -> object:
        if runtime.webhooks is None:
            raise HTTPException(
                404, {"error": "not_found", "reason": "this service has no webhook configured"}
            )
        return runtime.webhooks

    @router.get("/webhooks/deliveries")
    async def deliveries(
        _: OperatorOwn,
        state: State | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> DeliveryLog:
        """The delivery log, newest first: each delivery's state, attempts, last answer and next try."""
        listener()
        query = select(*(delivery.c[name] for name in Delivery.model_fields))
        if state is not None:
            query = query.where(delivery.c.state == state)
        async with runtime.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(delivery.c.created_at.desc()).limit(limit))).mappings()
            items = [Delivery.model_validate(dict(r)) for r in rows]
            by_state = select(delivery.c.state, func.count()).group_by(delivery.c.state)
            counts = {str(state): int(n) for state, n in await conn.execute(by_state)}
        return DeliveryLog(webhooks=[h.name for h in runtime.webhook_config], counts=counts, items=items)

    @router.post("/webhooks/replay", status_code=202)
    async def replay(body: ReplayRequest, _: Admin) -> ReplayStarted:
        """Every chosen event from that point is delivered again to every webhook of this service, under
        the next generation (the log keeps the earlier deliveries)."""
        listener()
        start = body.from_sequence if body.from_sequence is not None else body.from_time
        assert start is not None and runtime.webhooks is not None
        generation = await runtime.webhooks.replay(start)
        return ReplayStarted(generation=generation, replayed_from=str(start))

    return router
