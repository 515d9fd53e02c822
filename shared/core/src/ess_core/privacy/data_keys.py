"""The author's side: seal a text in the act's transaction with the (project, field) data key, created
the first time, and publish the copies of new keys to the key store once the act has committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.sealing import Sealed, context_of, new_data_key, new_key_id, opened, seal
from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import data_key
from ess_core.privacy.key_store import KeyStore

log = logging.getLogger(__name__)

REPUBLISH_SECONDS = 30.0  # the bucket lives in memory: a restarted broker gets the live keys back
GATHER_SECONDS = 0.05
"""How long the publisher lets new keys gather before it reads them: under load one read for several acts
(they have usually committed by then, too), and a key still reaches the store well within a second."""


# Built once: on an act's path, building a statement and its cache key costs about as much as running it.
_INSERT = data_key.insert()
_KEY = select(data_key.c.key_id, data_key.c.secret).where(
    data_key.c.aggregate_id == bindparam("aggregate_id"), data_key.c.field == bindparam("field")
)


async def own_secret(conn: AsyncConnection, key_id: str) -> bytes | None:
    return await conn.scalar(select(data_key.c.secret).where(data_key.c.key_id == key_id))


class Sealer:
    """Seals the free text of one pilot's acts; `created` tells the publisher a key was made."""

    def __init__(self, pilot: str) -> None:
        self.pilot = pilot
        self.created = asyncio.Event()
        self.made: set[str] = set()
        """Keys made since the publisher last took them (committed or not yet, or rolled back)."""

    async def seal(
        self, conn: AsyncConnection, aggregate_id: str, field: str, text: str, *, new: bool = False
    ) -> Sealed:
        """Inside the act's transaction: a concurrent act creating the same key loses the unique
        (aggregate, field) and is retried by the unit of work, then finds the winner's key. `new`: the act
        made the aggregate's id, so there is no key to look for (one there after all fails the unique)."""
        row = None if new else await self._key(conn, aggregate_id, field)
        if row is None:
            key_id, secret = new_key_id(self.pilot), new_data_key()
            created_at = format_timestamp(datetime.now(UTC))
            named = {"key_id": key_id, "aggregate_id": aggregate_id, "field": field}
            await conn.execute(_INSERT, {**named, "secret": secret, "created_at": created_at})
            self.made.add(key_id)
            self.created.set()
        else:
            key_id, secret = row
        return seal(key_id, secret, text, context_of(aggregate_id, field))

    @staticmethod
    async def _key(conn: AsyncConnection, aggregate_id: str, field: str) -> tuple[str, bytes] | None:
        row = (await conn.execute(_KEY, {"aggregate_id": aggregate_id, "field": field})).first()
        return None if row is None else (row.key_id, row.secret)

    async def opened(
        self, conn: AsyncConnection, sealed: Sealed, aggregate_id: str, field: str
    ) -> str | None:
        """One of this pilot's own texts, opened inside an act's transaction (on SQLite another connection
        would wait for this one's write turn); None when its key is gone."""
        return opened(sealed, await own_secret(conn, sealed.key), context_of(aggregate_id, field))


class KeyPublisher:
    """Leaves every live key's copies in the key store: all of them at start and every REPUBLISH_SECONDS
    without a new key, the new ones at once when an act made one (reading only those: a read of every key
    after each act grew with the table), and all again when the bucket lost them (it lives in memory: a
    restarted broker starts empty)."""

    def __init__(self, engine: AsyncEngine, store: KeyStore, sealer: Sealer) -> None:
        self.engine, self.store, self.sealer = engine, store, sealer
        self._published: set[str] = set()
        self._waiting: set[str] = set()  # made but not seen committed yet: looked for again next round
        self._everything = True

    async def run(self) -> None:
        while True:
            try:
                await self.publish_new()
            except Exception:  # a broker away: the next round tries again
                self._everything = True
                log.warning("publishing data keys failed; trying again", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sealer.created.wait(), REPUBLISH_SECONDS)
                await asyncio.sleep(GATHER_SECONDS)
                self.sealer.created.clear()
                continue
            self._everything = True
            with contextlib.suppress(Exception):
                if not await self.store_intact():
                    self._published.clear()

    async def publish_new(self) -> None:
        """Every live key not published yet on a full round, else the keys acts made since the last."""
        made, self.sealer.made = self.sealer.made, set()
        if self._everything:
            self._everything, self._waiting = False, set()
            await self._publish(await self._live(), None)
            return
        wanted = self._waiting | made
        rows = await self._live(wanted)
        self._waiting = wanted - rows.keys()  # not committed yet (or never: dropped at the next full round)
        await self._publish(rows, set(rows))

    async def _publish(self, rows: dict[str, bytes], among: set[str] | None) -> None:
        """Publishes `rows` not published yet; then purges the copies of keys (`among` those, or any) that
        are gone: a key destroyed while this round published it had its erasure's purge land first."""
        for key_id, secret in rows.items():
            if key_id not in self._published:
                await self.store.publish(key_id, secret)
                self._published.add(key_id)
        if among is not None and not among:
            return
        live = set(await self._live(among, secrets=False))
        for key_id in (self._published if among is None else among) - live:
            await self.store.purge(key_id)
            self._published.discard(key_id)

    async def store_intact(self) -> bool:
        """Whether the bucket still holds this pilot's copy of a key published here (the only copies the
        broker lets it read); without its own encryption key it cannot tell, and trusts it does."""
        if not self._published or self.store.pilot not in self.store.recipients():
            return True
        return await self.store.fetch(next(iter(self._published))) is not None

    async def _live(self, ids: set[str] | None = None, *, secrets: bool = True) -> dict[str, bytes]:
        """The live keys (`ids` of them, when given) with their secrets, or with none."""
        columns = (data_key.c.key_id, data_key.c.secret) if secrets else (data_key.c.key_id,)
        query = select(*columns)
        if ids is not None:
            if not ids:
                return {}
            query = query.where(data_key.c.key_id.in_(sorted(ids)))
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
            return {str(row[0]): bytes(row[1]) if secrets else b"" for row in rows}
