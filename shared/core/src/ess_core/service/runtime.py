"""One running service: its database, its broker connection, its relay, its projection runner and its
checkpoints. The service's own code only adds acts (through `transaction` and `outbox`) and views."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any

from faststream.nats import NatsBroker
from faststream.security import BaseSecurity
from nats.js import JetStreamContext
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.base import Payload
from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.sealing import private_key
from ess_contracts.signing import Signer, TrustFile, TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.bookkeeping import APPENDED, BOOKKEEPING
from ess_core.messaging.db import make_engine
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.key_history import applied_unvouched, read_key_history
from ess_core.messaging.outbox import Outbox, published_by
from ess_core.messaging.projection import consumer_config
from ess_core.messaging.recovery import (
    GuardedRunner,
    keep_running,
    recover_journal,
    replay_if_views_behind,
    retry_parked_unknown,
)
from ess_core.messaging.relay import Relay
from ess_core.messaging.schema import applied, consumer_position, dead_letters, issuer_position, parked
from ess_core.messaging.view_idiom import View
from ess_core.notify.digest import DigestJob
from ess_core.notify.sender import NoticeSender
from ess_core.notify.subscriptions import Unsubscribing
from ess_core.notify.templates import Templates
from ess_core.privacy.data_keys import KeyPublisher, Sealer
from ess_core.privacy.erasure import ErasureReactor
from ess_core.privacy.key_store import KeyStore
from ess_core.privacy.keyring import Keyring
from ess_core.security.client import connect_options
from ess_core.security.permissions import webhook_consumer_name
from ess_core.service.agreed import AgreedCheckpoints, SnapshotProducer, snapshot_tables
from ess_core.service.checkpoints import Checkpointer
from ess_core.service.metrics import ServiceMetrics
from ess_core.service.settings import ServiceSettings
from ess_core.service.snapshot_join import (
    HttpSnapshotSource,
    Joined,
    Joiner,
    SnapshotSource,
    replace_consumer,
)
from ess_core.snapshots.store import SnapshotStore
from ess_core.webhooks.config import load_webhooks
from ess_core.webhooks.dispatcher import WebhookDispatcher
from ess_core.webhooks.listener import WebhookListener

log = logging.getLogger(__name__)

PROJECTION_BOOKKEEPING = (applied, issuer_position, parked, dead_letters, consumer_position)
STOP_DRAIN_S = 2.0
"""How long a stopping service keeps publishing what it committed: milliseconds with a broker there; a broker
away keeps the rows for the next start (as ever)."""


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        views: Sequence[View],
        own_views: Sequence[View] = (),
        notices: str | None = None,
    ) -> None:
        self.settings = settings
        self.notices = Templates(notices, settings.notice_templates_dir) if notices else None
        self.tasks: dict[str, Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = {}
        self.notice_kinds: dict[str, str] = {}
        seed = settings.signing_seed_file.read_bytes().strip()
        self.unsubscribing = Unsubscribing(seed, settings.public_url)
        known = PAYLOAD_TYPES.keys()
        self.webhook_config = load_webhooks(settings.webhooks_file, known) if settings.webhooks_file else ()
        self.webhooks: WebhookListener | None = None
        self.views = [*views, *own_views]
        # Every service holds the shared views: their digest is what all pilots' services compare...
        self.compared_views = list(views)
        # ...and the views only its kind holds (evaluation's), compared among services of that kind.
        self.own_views = list(own_views)
        # their digests and the bookkeeping's, kept as rows change (checkpoints at agreed positions sign both)
        self.digests = DigestLedger([*self.views, BOOKKEEPING], APPENDED)
        self.fold_lock = asyncio.Lock()  # held by each fold batch: the views' only writer
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.trust = TrustStore(TrustFile.load(settings.trust_file))
        signer = Signer(settings.signing_seed_file.read_text().strip())
        self.outbox = Outbox(settings.pilot, settings.service, signer)
        self.declare_published(published_by(settings.service))
        self.metrics = ServiceMetrics(settings.service, settings.pilot)
        # The pilot's own NATS user and inbox prefix: the server lets it publish only its own subjects.
        login = connect_options(settings.pilot, settings.nats_user_seed_file, settings.nats_ca_file)
        security = BaseSecurity(ssl_context=login.pop("tls")) if "tls" in login else None
        servers = [url.strip() for url in settings.nats_url.split(",")]  # a cluster: every node's URL
        self.broker = NatsBroker(servers, logger=None, security=security, **login)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Free text that may hold personal data: sealed by this pilot's acts, opened for its readers.
        self.sealer = Sealer(settings.pilot)
        self.snapshots = SnapshotStore(settings.snapshot_dir) if settings.snapshot_dir else None
        self.snapshot_producer = self._snapshot_producer()
        key_file = settings.encryption_key_file
        private = private_key(key_file.read_text(encoding="utf-8")) if key_file else None
        self.keyring = Keyring(settings.pilot, self.engine, None, private)

    def _snapshot_producer(self) -> SnapshotProducer | None:
        if self.snapshots is None:
            return None
        s = self.settings
        return SnapshotProducer(
            make_engine(s.database_url, writer=False),
            self.snapshots,
            snapshot_tables(self.views),
            s.pilot,
            s.service,
            self.trust.digest,
            s.snapshot_every,
            s.snapshots_kept,
        )

    @property
    def legal_holds(self) -> Mapping[str, str]:
        return self.settings.legal_holds

    def declare_published(self, types: Iterable[type[Payload]]) -> None:
        """What this service may publish (its spec's declaration): the outbox refuses anything else."""
        names = frozenset(str(t.model_fields["type"].default) for t in types)
        self.outbox = dataclasses.replace(self.outbox, publishes=names)

    @property
    def js(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    async def start(self) -> None:
        await self.broker.start()
        # A database restored from an older backup takes its own newer events back first, so the outbox
        # continues after them and the relay never re-issues a sequence already decided.
        pilot, service = self.settings.pilot, self.settings.service
        async with self.engine.begin() as conn:  # digests kept as view rows change, from here on
            await self.digests.install(conn)
        await read_key_history(self.js, self.trust)
        if await applied_unvouched(self.engine, self.trust):
            log.warning("views applied events an ended key did not vouch for: folding them again")
            await self._forget_views()
        await recover_journal(self.engine, self.js, self.trust, pilot, service)
        await replay_if_views_behind(self.engine, self.js, self.settings.instance)
        self.relay = Relay(self.engine, self.js)
        self.agreed = self._agreed_checkpoints()
        self.checkpointer = Checkpointer(
            self.engine,
            self.compared_views,
            self.outbox,
            self.trust.digest,
            self.settings.checkpoint_seconds,
            after_commit=self.relay.nudge,
            own_views=self.own_views,
            settle=self.settle_digests,
        )
        self._spawn("relay", self.relay.run())
        self.keyring.store = KeyStore(self.js, pilot, self.trust.trust)
        self._spawn("keys", KeyPublisher(self.engine, self.keyring.store, self.sealer).run())
        holds = self.legal_holds
        erasures = ErasureReactor(self.engine, self.outbox, self.keyring, self.transaction, holds)
        self._spawn("erasures", erasures.run())
        self._spawn("checkpoints", self.checkpointer.run())
        self._start_notices()
        self._start_webhooks()
        for name, task in self.tasks.items():
            self._spawn(name, task(self))
        await self._join_at_start()
        await self._start_projection()

    def _agreed_checkpoints(self) -> AgreedCheckpoints | None:
        every = self.settings.agreed_every
        if every <= 0:
            return None
        return AgreedCheckpoints(
            every,
            self.digests,
            self.compared_views,
            self.own_views,
            self.outbox,
            self.trust.digest,
            self.relay.nudge,
            self.snapshot_producer,
        )

    def request_snapshot(self) -> None:
        """A snapshot at the next agreed position (POST /snapshots)."""
        if self.snapshot_producer is None:
            raise RuntimeError("this service keeps no snapshots (ESS_SNAPSHOT_DIR)")
        self.snapshot_producer.requested = True

    async def settle_digests(self) -> None:
        """The kept digests brought up to date with the fold paused, before a checkpoint reads them: it
        costs what changed since the last checkpoint, each row once however often it was written.

        A stop that cancels the checkpoint lets the settling finish rather than cancel it inside its
        transaction (as `Relay.drain` does its mark): a task cancelled in a database call can leave its
        connection waiting while the stop disposes of the engine."""
        work = asyncio.ensure_future(self._settle_digests())
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait({work}, timeout=STOP_DRAIN_S)
            work.cancel()
            raise

    async def _settle_digests(self) -> None:
        async with self.fold_lock, self.engine.begin() as conn:
            await self.digests.settle(conn)

    def _start_webhooks(self) -> None:
        if not self.webhook_config:
            return
        durable = webhook_consumer_name(self.settings.pilot, self.settings.service)
        self.webhooks = WebhookListener(
            self.engine, self.js, self.trust, self.webhook_config, durable, self.transaction
        )
        hooks = {h.name: h for h in self.webhook_config}
        dispatcher = WebhookDispatcher(self.engine, hooks, self.transaction, f"ess-{self.settings.instance}")
        self._spawn("webhooks", self.webhooks.run())
        self._spawn("webhook-deliveries", dispatcher.run())

    def _start_notices(self) -> None:
        if self.notices is None:
            return
        digest = DigestJob(
            self.engine, self.notices, self.settings.pilot, self.settings.notice_digest_at, self.transaction
        )
        self._spawn("notice-digests", digest.run())
        if self.settings.smtp is None:
            log.info("no mail server (ESS_SMTP_HOST): notices wait in the outbox, unsent")
            return
        sender = NoticeSender(
            self.engine, self.settings.smtp, self.notices, self.settings.pilot, self.transaction
        )
        self._spawn("notices", sender.run())

    async def _start_projection(self) -> None:
        durable = self.settings.instance
        views = self.metrics.wrap(self.views)  # counted and timed per view, for /metrics
        self.runner = GuardedRunner(
            self.engine,
            self.js,
            self.trust,
            views,
            durable=durable,
            ledger=self.digests,
            exclusive=self.fold_lock,
            agreed=self.agreed,
        )
        await self.runner.start()
        await retry_parked_unknown(self.runner)  # types this (upgraded) catalogue now knows
        self._spawn("projection", keep_running(self.runner))

    async def restart_projection(self) -> None:
        """Bind the durable consumer again, creating it if the stream lost it (a stream rebuilt by
        republishing): the views keep what they applied and skip what they already have."""
        task = self._tasks.pop("projection", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # it may have died with the stream
                await task
        await self.runner.stop()
        await self._start_projection()

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
        for name in [n for n in self._tasks if n != "relay"]:  # what writes events first...
            await self._cancel(name)
        if "relay" in self._tasks:  # ...then what they committed leaves: a stopped journal is published
            await self._last_drain()
            await self._cancel("relay")
        if started:
            await self.runner.stop()
        if self.snapshot_producer is not None:
            await self.snapshot_producer.stop()
            await self.snapshot_producer.reader.dispose()
        with contextlib.suppress(Exception):  # a broker already gone must not turn a stop into a crash
            await self.broker.stop()
        await self.engine.dispose()

    async def _last_drain(self) -> None:
        """At most STOP_DRAIN_S to publish what was committed; then the stop goes on without waiting for
        the drain's end (`wait_for` would: a drain cancelled inside a database call, behind a writer a
        cancelled task left holding the file, never returns). What stays unpublished leaves at the next
        start."""
        drain = asyncio.ensure_future(self.relay.drain())
        done, _ = await asyncio.wait({drain}, timeout=STOP_DRAIN_S)
        if not done:
            drain.cancel()
            log.warning("stopping with outbox rows unpublished: they leave at the next start")
        elif drain.exception() is not None:
            log.warning("the last drain failed: its rows leave at the next start", exc_info=drain.exception())

    def joiner(self) -> Joiner:
        s = self.settings
        every = s.agreed_every
        views, own = self.compared_views, self.own_views
        return Joiner(self.engine, self.js, self.trust, views, own, s.pilot, s.service, every, self.digests)

    async def join_from(self, source: SnapshotSource) -> Joined:
        """Drop the views, load a snapshot other pilots vouch for, and replay only what follows it; when
        the snapshot is refused, replay everything (as a rebuild does) and say why."""
        await self._cancel("projection")
        await self.runner.stop()
        await self._forget_views()
        try:
            return await self._join(source)
        finally:
            await self._start_projection()

    async def _join(self, source: SnapshotSource) -> Joined:
        joined = await self.joiner().join(source)
        await replace_consumer(self.js, self.settings.instance, consumer_config(after=joined.position))
        log.info(
            "joined from %s's snapshot at stream sequence %s (%s events, vouched for by %s)",
            source.pilot,
            joined.position,
            joined.applied_events,
            ", ".join(joined.vouched_by),
        )
        return joined

    async def _join_at_start(self) -> None:
        """`ESS_BOOTSTRAP_FROM`: a service whose views are empty starts from a snapshot when one is
        vouched for, and from the first event otherwise."""
        source = self.settings.bootstrap_source()
        if source is None:
            return
        async with self.engine.connect() as conn:
            if await conn.scalar(select(func.count()).select_from(applied)):
                return
        try:
            await self._join(HttpSnapshotSource(*source))
        except Exception as refused:  # a refusal or an unreachable pilot: the full replay stays
            log.warning("not joining from a snapshot, replaying from the first event: %s", refused)

    async def rebuild(self) -> None:
        """Drop the views and replay them from the first event of the stream (a new durable consumer)."""
        await self._cancel("projection")
        await self.runner.stop()
        await self._forget_views()
        await self._start_projection()

    async def _forget_views(self) -> None:
        async with self.engine.begin() as conn:
            for table in (*(t for view in self.views for t in view.tables), *PROJECTION_BOOKKEEPING):
                await conn.execute(delete(table))
            await self.digests.reset(conn)
        with contextlib.suppress(Exception):  # absent already: nothing to forget
            await self.js.delete_consumer(STREAM, self.settings.instance)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The unit of work for an act: state change and outbox rows commit together, then the relay
        is nudged so the events leave at once."""
        async with self.engine.begin() as conn:
            yield conn
        if "relay" in self._tasks:
            self.relay.nudge()
