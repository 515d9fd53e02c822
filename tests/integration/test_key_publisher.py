"""The key publisher after start reads only the keys acts made (not every key of the table each time): a
key whose act has not committed yet is looked for again at the next round, and a key destroyed while the
round published it has its copy purged. Against the author's own SQLite table and a store that records."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ess_contracts.intake import TITLE_FIELD
from ess_core.messaging.schema import data_key
from ess_core.privacy.data_keys import KeyPublisher, Sealer


class RecordingStore:
    """What the publisher uses of a KeyStore; `on_publish` runs as a copy lands (an erasure racing it)."""

    pilot = "region"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.published: list[str] = []
        self.purged: list[str] = []
        self.destroy_on_publish: str | None = None

    def recipients(self) -> list[str]:
        return ["region"]

    async def publish(self, key_id: str, secret: bytes) -> None:
        self.published.append(key_id)
        if key_id == self.destroy_on_publish:
            async with self.engine.begin() as conn:
                await conn.execute(delete(data_key).where(data_key.c.key_id == key_id))

    async def purge(self, key_id: str) -> None:
        self.purged.append(key_id)

    async def fetch(self, key_id: str) -> bytes | None:
        return b"copy" if key_id in self.published else None


async def test_after_start_the_publisher_reads_only_the_keys_acts_made(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'region-intake.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(data_key.create, checkfirst=True)
    sealer = Sealer("region")
    store = RecordingStore(engine)
    publisher = KeyPublisher(engine, store, sealer)  # type: ignore[arg-type]
    reads: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: reads.append(a[2]))

    async def act(project_id: str) -> str:
        async with engine.begin() as conn:
            return (await sealer.seal(conn, project_id, TITLE_FIELD, "Épicerie solidaire")).key

    first = await act("region-p1")
    await publisher.publish_new()  # at start: every key
    assert store.published == [first]

    async with engine.connect() as open_act:  # an act that made its key and has not committed yet
        await open_act.begin()
        pending = (await sealer.seal(open_act, "region-p2", TITLE_FIELD, "Recyclerie")).key
        reads.clear()
        await publisher.publish_new()
        assert store.published == [first]
        assert all("IN (" in r for r in reads if r.startswith("SELECT")), reads  # only the ids made
        await open_act.commit()
    later = await act("region-p3")
    await publisher.publish_new()  # the one committed since, and the new one
    assert sorted(store.published[1:]) == sorted([pending, later])

    store.destroy_on_publish = raced = await act("region-p4")  # erased while its copy was landing
    await publisher.publish_new()
    assert store.purged == [raced]
    await engine.dispose()
