"""The HTTP face of every service: the same lifespan, health, status and access control, plus the
service's own routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request

from ess_shared.auth import Principal, require, verifier_from_env
from ess_shared.service.runtime import ServiceRuntime
from ess_shared.service.spec import ServiceSpec
from ess_shared.service.status import ServiceStatus, read_status


def build_app(spec: ServiceSpec, runtime: ServiceRuntime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"ESS {spec.name} ({runtime.settings.pilot})",
        version="1",
        lifespan=lifespan,
    )
    app.state.verifier = verifier_from_env()
    app.state.runtime = runtime
    app.include_router(_operations(runtime))
    for make_router in spec.routers:
        app.include_router(make_router(runtime))
    return app


def _operations(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> dict[str, str]:
        """Unauthenticated liveness for process supervisors; it tells nothing but "ok"."""
        return {"status": "ok"}

    @router.get("/status", response_model=ServiceStatus)
    async def status(
        _: Principal = Depends(require("operator", "admin")),  # noqa: B008
    ) -> ServiceStatus:
        async with runtime.engine.connect() as conn:
            return await read_status(conn, runtime.views)

    return router
