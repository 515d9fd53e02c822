"""Process entry shared by the three services: `python -m ess_<service>` ends here."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from ess_core.service import logs
from ess_core.service.http import build_app
from ess_core.service.migrate import upgrade
from ess_core.service.settings import ServiceSettings
from ess_core.service.spec import ServiceSpec
from ess_core.tracing import setup as tracing


def serve(spec: ServiceSpec) -> None:
    settings = ServiceSettings.from_env(spec.name)
    logs.configure(settings.instance)  # JSON lines on stderr, WARNING unless ESS_LOG_LEVEL says
    tracing.configure(spec.name, settings.pilot, settings.instance)  # only if OTEL_EXPORTER_OTLP_* says
    asyncio.run(upgrade(settings.database_url, spec))
    runtime = spec.runtime(settings)
    app = build_app(spec, runtime)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        access_log=False,
        log_config=None,  # uvicorn's records go through the root logger's JSON formatter
        http="h11",
        h11_max_incomplete_event_size=settings.http_limits.max_header_bytes,
    )
    # An inherited socket (`ess up`) is already bound and listening: its port cannot have been taken.
    sockets = None if settings.http_fd is None else [socket.socket(fileno=settings.http_fd)]
    try:
        uvicorn.Server(config).run(sockets=sockets)
    finally:
        tracing.shutdown()  # the last spans leave before the process does
