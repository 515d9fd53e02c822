"""One running service: its database, its broker connection, its relay and its projection runner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_shared.contracts.signing import Signer, TrustFile, TrustStore
from ess_shared.messaging.db import make_engine
from ess_shared.messaging.outbox import Outbox
from ess_shared.messaging.projection import ProjectionRunner
from ess_shared.messaging.relay import Relay
from ess_shared.messaging.views import View
from ess_shared.service.settings import ServiceSettings

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, views: Sequence[View]) -> None:
        self.settings = settings
        self.views = views
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.trust = TrustStore(TrustFile.load(settings.trust_file))
        self.outbox = Outbox(
            settings.pilot, settings.service, Signer(settings.signing_seed_file.read_text().strip())
        )
        seed = str(settings.nats_user_seed_file) if settings.nats_user_seed_file else None
        self.broker = NatsBroker(settings.nats_url, logger=None, nkeys_seed=seed)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def js(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    async def start(self) -> None:
        await self.broker.start()
        self.relay = Relay(self.engine, self.js)
        self.runner = ProjectionRunner(
            self.engine, self.js, self.trust, self.views, durable=self.settings.instance
        )
        await self.runner.start()
        self._tasks = [
            asyncio.create_task(self.relay.run(), name="relay"),
            asyncio.create_task(self.runner.run_started(), name="projection"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tasks:
            await self.runner.stop()
        with contextlib.suppress(Exception):  # a broker already gone must not turn a stop into a crash
            await self.broker.stop()
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The unit of work for an act: state change and outbox rows commit together, then the relay
        is nudged so the events leave at once."""
        async with self.engine.begin() as conn:
            yield conn
        if self._tasks:
            self.relay.nudge()
