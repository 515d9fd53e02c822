"""The HTTP face of every service: the same lifespan, health, status, digest, checkpoint and rebuild
routes and the same access control, plus the service's own routers."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ess_contracts.ops import CheckpointRecorded
from ess_contracts.types import Pilot
from ess_core.auth import Principal, TokenVerifier, require_service_pilot, verifier_from_env
from ess_core.refusals import Refused
from ess_core.service.checkpoints import checkpoint_figures, snapshot
from ess_core.service.limits import RequestLimits
from ess_core.service.metrics import CONTENT_TYPE
from ess_core.service.notice_routes import notices_router
from ess_core.service.operations import operations_router
from ess_core.service.project_events import project_events_router
from ess_core.service.project_list_route import project_list_router
from ess_core.service.project_read import project_read_router
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.snapshot_join import HttpSnapshotSource, JoinRefused
from ess_core.service.snapshot_routes import snapshot_router
from ess_core.service.spec import ServiceSpec
from ess_core.service.status import ServiceStatus, read_status
from ess_core.service.stream_routes import stream_router
from ess_core.service.watch_routes import watch_router
from ess_core.service.webhook_routes import webhooks_router

Operator = Annotated[Principal, Depends(require_service_pilot(None, "operator", "admin"))]
Admin = Annotated[Principal, Depends(require_service_pilot(None, "admin"))]


class NoStore:
    """Every answer says `Cache-Control: no-store` unless its route chose otherwise: answers carry personal
    data (a holder's file, a contact) or a pilot's acts, and no browser or proxy on the way may keep them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)


class RefusalDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # the refusal's details: the field, the rule, the figures
    error: str = Field(description="a stable word for programs: unauthorized, forbidden, not_found...")
    reason: str = Field(description="one sentence for people, naming what is wrong")


class RefusalBody(BaseModel):
    """How every service refuses a request (ess_core.refusals, ess_core.auth): one shape for all."""

    detail: RefusalDetail


REFUSALS = {
    401: "no token, or one that does not verify (with `WWW-Authenticate: Bearer`)",
    403: "a token of another pilot, or without a role this route accepts",
    404: "nothing of that name here",
    409: "the act conflicts with what is recorded (a breach of a rule, a duplicate)",
    410: "it existed and no longer answers",
}


def refusal_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of these refusals, with their real body (`RefusalBody`); 422 is either a
    refusal naming the field and the rule, or FastAPI's list of failing parameters."""
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": RefusalBody, "description": REFUSALS[status]} for status in statuses
    }
    either = [{"$ref": f"#/components/schemas/{name}"} for name in ("RefusalBody", "HTTPValidationError")]
    responses[422] = {
        "description": "the body or a parameter breaks a rule, named with its field",
        "content": {"application/json": {"schema": {"anyOf": either}}},
    }
    return responses


class CheckpointAnswer(BaseModel):
    event_id: str
    checkpoint: CheckpointRecorded


def build_app(spec: ServiceSpec, runtime: ServiceRuntime, verifier: TokenVerifier | None = None) -> FastAPI:
    """`verifier` defaults to the one the environment names (local key file or OpenID Connect)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    limits = runtime.settings.http_limits
    app = FastAPI(
        title=f"ESS {spec.name} ({runtime.settings.pilot})",
        version="1",
        lifespan=lifespan,
        max_body_size=limits.max_body_bytes,  # before the token is read: FastAPI reads bodies first
    )
    app.add_middleware(RequestLimits, limits=limits)
    app.add_middleware(NoStore)
    app.state.verifier = verifier or verifier_from_env()
    app.state.pilot = runtime.settings.pilot
    app.state.runtime = runtime
    runtime.declare_published(spec.published_types())
    app.add_exception_handler(Refused, refusal_response)
    app.include_router(_operations(runtime))
    app.include_router(operations_router(runtime))
    app.include_router(watch_router(runtime))
    app.include_router(stream_router(runtime))
    app.include_router(snapshot_router(runtime))
    app.include_router(webhooks_router(runtime))
    app.include_router(notices_router(runtime))
    if spec.project_finder is not None:
        app.include_router(project_list_router(runtime, spec.project_finder))
    if spec.project_reader is not None:
        app.include_router(project_read_router(runtime, spec.project_reader))
        app.include_router(project_events_router(runtime))
    for make_router in spec.routers:
        app.include_router(make_router(runtime))
    return app


async def refusal_response(_: Request, refusal: Exception) -> JSONResponse:
    """Every service's refusals, one way: their status, and `{"detail": ...}` as FastAPI's own errors."""
    assert isinstance(refusal, Refused)
    return JSONResponse(status_code=refusal.status, content={"detail": refusal.detail()})


def _operations(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Unauthenticated liveness for process supervisors; it tells nothing but "ok"."""
        return {"status": "ok"}

    @router.get("/status")
    async def status(_: Operator) -> ServiceStatus:
        """Who this service is (pilot, service) and what it holds: a supervisor checks the first."""
        async with runtime.engine.connect() as conn:
            figures = await read_status(conn, runtime.compared_views)
        return figures.model_copy(
            update={"pilot": runtime.settings.pilot, "service": runtime.settings.service}
        )

    @router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
    async def metrics(_: Operator) -> Response:
        """Prometheus metrics (text format): events consumed and published by type, view handler latency,
        outbox backlog, projection lag, parked and dead letters. Scrape with an operator's bearer token."""
        if not runtime.metrics.enabled:
            raise HTTPException(503, "metrics need the prometheus-client package, not installed here")
        published = runtime.outbox.publishes or ()
        text = await runtime.metrics.render(runtime.engine, runtime.js, published)
        return Response(text, media_type=CONTENT_TYPE)

    @router.get("/view/digest")
    async def digest(_: Operator) -> CheckpointRecorded:
        """What a checkpoint would say now, without publishing it."""
        conn = await snapshot(runtime.engine)
        try:
            async with conn.begin():
                name = runtime.settings.instance
                views, own = runtime.compared_views, runtime.own_views
                return await checkpoint_figures(conn, views, name, runtime.trust.digest, own)
        finally:
            await conn.close()

    @router.post("/checkpoint")
    async def checkpoint(_: Operator) -> CheckpointAnswer:
        """Publish a checkpoint now (signed, through the outbox)."""
        event = await runtime.checkpointer.checkpoint(forced=True)
        assert event is not None and isinstance(event.payload, CheckpointRecorded)
        return CheckpointAnswer(event_id=event.id, checkpoint=event.payload)

    @router.post("/view/rebuild", status_code=202)
    async def rebuild(_: Admin) -> dict[str, str]:
        """Drop this service's views and replay them from the stream; poll /view/digest to follow."""
        await runtime.rebuild()
        return {"status": "rebuilding from stream sequence 1"}

    @router.post("/view/bootstrap")
    async def bootstrap(request: BootstrapRequest, _: Admin) -> BootstrapAnswer:
        """Drop this service's views and load another pilot's snapshot instead of replaying the stream:
        kept only when services of two other pilots signed its digests at its position; otherwise the
        views replay from the first event, and the answer (409) says why. The token is an operator's of
        this pilot, read at the other pilot's service (docs/snapshots.md)."""
        source = HttpSnapshotSource(request.pilot, request.url, request.token.get_secret_value())
        try:
            joined = await runtime.join_from(source)
        except JoinRefused as refused:
            raise HTTPException(409, {"error": "snapshot_refused", "reason": refused.reason}) from refused
        except httpx.HTTPError as error:
            reason = f"{request.pilot}'s snapshot could not be fetched: {error}"
            raise HTTPException(502, {"error": "snapshot_unreachable", "reason": reason}) from error
        return BootstrapAnswer(**dataclasses.asdict(joined))

    return router


class BootstrapRequest(BaseModel):
    pilot: Pilot
    """Whose service the snapshot comes from."""
    url: str = Field(pattern=r"^https?://", max_length=400)
    """That service's address."""
    token: SecretStr
    """An operator token of this pilot, which that service accepts for reading."""


class BootstrapAnswer(BaseModel):
    position: int
    applied_events: int
    rows: int
    vouched_by: list[str]
