"""One running service: its database, its broker connection, its relay, its projection runner and its
checkpoints. The service's own code only adds acts (through `transaction` and `outbox`) and views."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from typing import Any

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_shared.contracts.base import Payload
from ess_shared.contracts.signing import Signer, TrustFile, TrustStore
from ess_shared.contracts.subjects import STREAM
from ess_shared.messaging.db import make_engine
from ess_shared.messaging.outbox import Outbox, published_by
from ess_shared.messaging.projection import ProjectionRunner
from ess_shared.messaging.relay import Relay
from ess_shared.messaging.schema import applied, consumer_position, dead_letters, issuer_position, parked
from ess_shared.messaging.views import View
from ess_shared.security.client import connect_options
from ess_shared.service.checkpoints import Checkpointer
from ess_shared.service.metrics import ServiceMetrics
from ess_shared.service.settings import ServiceSettings
from ess_shared.views import shared_views

log = logging.getLogger(__name__)

PROJECTION_BOOKKEEPING = (applied, issuer_position, parked, dead_letters, consumer_position)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, views: Sequence[View]) -> None:
        self.settings = settings
        self.views = views
        # Every service holds the shared views: their digest is what all pilots' services compare.
        shared = {view.name for view in shared_views()}
        self.compared_views = [view for view in views if view.name in shared]
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.trust = TrustStore(TrustFile.load(settings.trust_file))
        signer = Signer(settings.signing_seed_file.read_text().strip())
        self.outbox = Outbox(settings.pilot, settings.service, signer)
        self.metrics = ServiceMetrics(settings.service, settings.pilot)
        self.declare_published(published_by(settings.service))
        # The pilot's own NATS user and inbox prefix: the server lets it publish only its own subjects.
        login = connect_options(settings.pilot, settings.nats_user_seed_file)
        self.broker = NatsBroker(settings.nats_url, logger=None, **login)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def declare_published(self, types: Iterable[type[Payload]]) -> None:
        """What this service may publish (its spec's declaration): the outbox refuses anything else."""
        names = frozenset(str(t.model_fields["type"].default) for t in types)
        self.outbox = dataclasses.replace(self.outbox, publishes=names)

    @property
    def js(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    async def start(self) -> None:
        await self.broker.start()
        self.relay = Relay(self.engine, self.js)
        self.checkpointer = Checkpointer(
            self.engine,
            self.compared_views,
            self.outbox,
            self.trust.digest,
            self.settings.checkpoint_seconds,
            after_commit=self.relay.nudge,
        )
        self._spawn("relay", self.relay.run())
        self._spawn("checkpoints", self.checkpointer.run())
        await self._start_projection()

    async def _start_projection(self) -> None:
        views = self.metrics.wrap(self.views)  # counted and timed per view, for /metrics
        self.runner = ProjectionRunner(
            self.engine, self.js, self.trust, views, durable=self.settings.instance
        )
        await self.runner.start()
        self._spawn("projection", self.runner.run_started())

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        self._tasks[name] = asyncio.create_task(work, name=name)

    async def _cancel(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        started = "projection" in self._tasks
        for name in list(self._tasks):
            await self._cancel(name)
        if started:
            await self.runner.stop()
        with contextlib.suppress(Exception):  # a broker already gone must not turn a stop into a crash
            await self.broker.stop()
        await self.engine.dispose()

    async def rebuild(self) -> None:
        """Drop the views and replay them from the first event of the stream (a new durable consumer)."""
        await self._cancel("projection")
        await self.runner.stop()
        async with self.engine.begin() as conn:
            for table in (*(t for view in self.views for t in view.tables), *PROJECTION_BOOKKEEPING):
                await conn.execute(delete(table))
        with contextlib.suppress(Exception):  # absent already: nothing to forget
            await self.js.delete_consumer(STREAM, self.settings.instance)
        await self._start_projection()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The unit of work for an act: state change and outbox rows commit together, then the relay
        is nudged so the events leave at once."""
        async with self.engine.begin() as conn:
            yield conn
        if "relay" in self._tasks:
            self.relay.nudge()
