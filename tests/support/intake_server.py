"""The intake service behind a real HTTP server (uvicorn on a loopback port, in a thread with its own
event loop), for tools that speak HTTP themselves, such as schemathesis."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from tests.support.databases import database_url
from tests.support.intake_data import network
from tests.support.intake_service import intake_service


class ServedIntake:
    """`with ServedIntake() as api:` serves intake at `api.url`; `api.token` is an admin's token."""

    def __init__(self, start_limit: float = 30.0) -> None:
        self.start_limit = start_limit
        self.url = ""
        self.token = ""
        self._server: uvicorn.Server | None = None
        self._error: BaseException | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="intake-http-")
        self._thread = threading.Thread(target=self._run, name="intake-http", daemon=True)

    def __enter__(self) -> ServedIntake:
        self._thread.start()
        deadline = time.monotonic() + self.start_limit
        while not (self._server is not None and self._server.started):
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"intake did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("intake did not start in time")
            time.sleep(0.05)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=20)
        self._dir.cleanup()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve(Path(self._dir.name)))
        except BaseException as error:  # reported to the test thread
            self._error = error

    async def _serve(self, tmp: Path) -> None:
        async with database_url("sqlite", tmp) as url, intake_service(url, tmp) as svc:
            self.token = svc.token(("admin",))
            await svc.client().post("/networks", json=network("n1"))  # something for the orientation routes
            config = uvicorn.Config(svc.app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
            self._server = uvicorn.Server(config)
            await self._server.serve()
