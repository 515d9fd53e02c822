"""The author's side: seal a text in the act's transaction with the (project, field) data key, created
the first time, and publish the copies of new keys to the key store once the act has committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.sealing import Sealed, context_of, new_data_key, new_key_id, opened, seal
from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import data_key
from ess_core.privacy.key_store import KeyStore

log = logging.getLogger(__name__)

REPUBLISH_SECONDS = 30.0  # the bucket lives in memory: a restarted broker gets the live keys back


async def own_secret(conn: AsyncConnection, key_id: str) -> bytes | None:
    return await conn.scalar(select(data_key.c.secret).where(data_key.c.key_id == key_id))


class Sealer:
    """Seals the free text of one pilot's acts; `created` tells the publisher a key was made."""

    def __init__(self, pilot: str) -> None:
        self.pilot = pilot
        self.created = asyncio.Event()

    async def seal(self, conn: AsyncConnection, aggregate_id: str, field: str, text: str) -> Sealed:
        """Inside the act's transaction: a concurrent act creating the same key loses the unique
        (aggregate, field) and is retried by the unit of work, then finds the winner's key."""
        row = (
            await conn.execute(
                select(data_key.c.key_id, data_key.c.secret).where(
                    data_key.c.aggregate_id == aggregate_id, data_key.c.field == field
                )
            )
        ).first()
        if row is None:
            key_id, secret = new_key_id(self.pilot), new_data_key()
            created_at = format_timestamp(datetime.now(UTC))
            await conn.execute(
                data_key.insert().values(
                    key_id=key_id,
                    aggregate_id=aggregate_id,
                    field=field,
                    secret=secret,
                    created_at=created_at,
                )
            )
            self.created.set()
        else:
            key_id, secret = row
        return seal(key_id, secret, text, context_of(aggregate_id, field))

    async def opened(
        self, conn: AsyncConnection, sealed: Sealed, aggregate_id: str, field: str
    ) -> str | None:
        """One of this pilot's own texts, opened inside an act's transaction (on SQLite another connection
        would wait for this one's write turn); None when its key is gone."""
        return opened(sealed, await own_secret(conn, sealed.key), context_of(aggregate_id, field))


class KeyPublisher:
    """Leaves every live key's copies in the key store: all of them at start, at once when an act created
    one, and all again when the bucket lost them (it lives in memory: a restarted broker starts empty)."""

    def __init__(self, engine: AsyncEngine, store: KeyStore, sealer: Sealer) -> None:
        self.engine, self.store, self.sealer = engine, store, sealer
        self._published: set[str] = set()

    async def run(self) -> None:
        while True:
            try:
                await self.publish_new()
            except Exception:  # a broker away: the next round tries again
                log.warning("publishing data keys failed; trying again", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sealer.created.wait(), REPUBLISH_SECONDS)
                self.sealer.created.clear()
                continue
            with contextlib.suppress(Exception):
                if not await self.store_intact():
                    self._published.clear()

    async def publish_new(self) -> None:
        rows = await self._live()
        for key_id, secret in rows.items():
            if key_id not in self._published:
                await self.store.publish(key_id, secret)
                self._published.add(key_id)
        # A key destroyed while this round published it: its erasure purged before these copies landed.
        async with self.engine.connect() as conn:
            live = set(await conn.scalars(select(data_key.c.key_id)))
        for key_id in self._published - live:
            await self.store.purge(key_id)
            self._published.discard(key_id)

    async def store_intact(self) -> bool:
        """Whether the bucket still holds this pilot's copy of a key published here (the only copies the
        broker lets it read); without its own encryption key it cannot tell, and trusts it does."""
        if not self._published or self.store.pilot not in self.store.recipients():
            return True
        return await self.store.fetch(next(iter(self._published))) is not None

    async def _live(self) -> dict[str, bytes]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(data_key.c.key_id, data_key.c.secret))
            return {str(key_id): bytes(secret) for key_id, secret in rows}
