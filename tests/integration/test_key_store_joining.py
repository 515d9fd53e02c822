"""A pilot joining later (issue 18, item 2): once its encryption key is in the author's trust file and the
author starts again, it gets a copy of every live data key, sealed to it, and opens the texts; a key the
author destroyed before is never sealed to it, nor back to anyone. Against a real nats-server's key
store (`ESS_KEYS`) and the author's own SQLite table of keys."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from nats.js import JetStreamContext
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine

from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import (
    Sealed,
    context_of,
    generate_private_key,
    open_box,
    open_data_key,
    private_key,
    public_key_text,
)
from ess_contracts.signing import TrustFile
from ess_contracts.types import PILOTS, Pilot
from ess_core.messaging.schema import data_key
from ess_core.privacy.data_keys import KeyPublisher, Sealer
from ess_core.privacy.key_store import KeyStore, provision_key_store
from tests.support.natsfixtures import provisioned_stream, running_nats

JOINED_ON = date(2026, 12, 1)


async def test_a_pilot_joining_later_gets_every_live_key_and_never_a_destroyed_one(tmp_path: Path) -> None:
    secrets = {pilot: generate_private_key() for pilot in PILOTS}
    public = {pilot: public_key_text(private_key(text)) for pilot, text in secrets.items()}
    before = TrustFile(pilots={})
    for pilot in ("region", "state"):  # bdt has no encryption key yet
        before = before.add_encryption_key(pilot, public[pilot], date(2026, 1, 1))
    after = before.add_encryption_key("bdt", public["bdt"], JOINED_ON)

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'region-intake.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(data_key.create, checkfirst=True)
    sealer = Sealer("region")
    async with engine.begin() as conn:
        kept = await sealer.seal(conn, "region-p1", TITLE_FIELD, "Épicerie solidaire du bocage")
        gone = await sealer.seal(conn, "region-p2", TITLE_FIELD, "Recyclerie de Jeanne Dupont")

    with running_nats(tmp_path / "nats") as server:
        async with provisioned_stream(server.url) as (_, js):
            await provision_key_store(js)
            await KeyPublisher(engine, KeyStore(js, "region", before), sealer).publish_new()
            assert await opens(js, "state", secrets, after, kept) == "Épicerie solidaire du bocage"
            assert await KeyStore(js, "bdt", after).fetch(kept.key) is None  # not a recipient yet

            # region destroys one key (its row, every copy), then bdt joins and region starts again
            async with engine.begin() as conn:
                await conn.execute(delete(data_key).where(data_key.c.key_id == gone.key))
            await KeyStore(js, "region", before).purge(gone.key)
            await KeyPublisher(engine, KeyStore(js, "region", after), sealer).publish_new()

            assert await opens(js, "bdt", secrets, after, kept) == "Épicerie solidaire du bocage"
            for pilot in PILOTS:
                assert await KeyStore(js, pilot, after).fetch(gone.key) is None, pilot
    await engine.dispose()


async def opens(
    js: JetStreamContext, pilot: Pilot, secrets: dict[Pilot, str], trust: TrustFile, box: Sealed
) -> str:
    """region-p1's title as `pilot` opens it, with its copy of the key and its own private key."""
    copy = await KeyStore(js, pilot, trust).fetch(box.key)
    assert copy is not None, f"no copy of {box.key} sealed to {pilot}"
    secret = open_data_key(copy, private_key(secrets[pilot]))
    return open_box(box, secret, context_of("region-p1", TITLE_FIELD))
