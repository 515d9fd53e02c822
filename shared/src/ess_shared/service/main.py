"""Process entry shared by the three services: `python -m ess_<service>` ends here."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from ess_shared.messaging.migrate import upgrade
from ess_shared.service.http import build_app
from ess_shared.service.runtime import ServiceRuntime
from ess_shared.service.settings import ServiceSettings
from ess_shared.service.spec import ServiceSpec


def serve(spec: ServiceSpec) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = ServiceSettings.from_env(spec.name)
    asyncio.run(upgrade(settings.database_url, spec))
    runtime = ServiceRuntime(settings, spec.views())
    app = build_app(spec, runtime)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_level="warning", access_log=False
    )
    uvicorn.Server(config).run()
