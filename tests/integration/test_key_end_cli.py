"""`ess keys revoke` and `ess keys trust add --statement` on real journals: the marks come from the
pilot's own outbox, a journal not yet published refuses the end and leaves the seed as it was, and a
partner records the statement only as its successor signed it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from ess_contracts.key_history import event_hash
from ess_contracts.ops import ProbeSent
from ess_contracts.signing import Signer, TrustFile
from ess_core.messaging.db import make_engine, sqlite_url
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import outbox
from ess_core.service.migrate import upgrade
from ess_ops import keys
from ess_ops.topology import StateDir

ESS = Path(sys.executable).parent / "ess"


def ess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ESS), *args], capture_output=True, text=True, timeout=60)


async def journal(url: str, signer: Signer, acts: int) -> bytes:
    """`acts` probes in region's funding journal, not yet published; the last one's signed bytes."""
    await upgrade(url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        box = Outbox("region", "funding", signer)
        signed = [await box.record(conn, f"probe-{n}", [ProbeSent()]) for n in range(acts)]
        data = await conn.scalar(select(outbox.c.data).where(outbox.c.event_id == signed[-1][0].id))
    await engine.dispose()
    return bytes(data)


async def published(url: str) -> None:
    """As the relay marks what the broker acknowledged."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(update(outbox).values(stream_seq=outbox.c.position))
    await engine.dispose()


def test_a_revoked_key_is_ended_from_the_pilots_own_journal_and_partners_record_the_statement(
    tmp_path: Path,
) -> None:
    state = StateDir(tmp_path / "ess")
    signer = keys.ensure_seed(state.seed("region"))
    keys.ensure_trust(state.trust_file, {"region": signer.public_key})
    state.data.mkdir(parents=True)
    url = sqlite_url(str(state.database("region", "funding")))
    last = asyncio.run(journal(url, signer, 3))

    refused = ess("keys", "revoke", "--pilot", "region", "--state-dir", str(state.root))
    assert refused.returncode == 1 and "3 events are not on the stream yet" in refused.stderr, refused.stderr
    assert Signer(state.seed("region").read_text().strip()).public_key == signer.public_key  # untouched

    asyncio.run(published(url))
    done = ess("keys", "revoke", "--pilot", "region", "--state-dir", str(state.root))
    assert done.returncode == 0, done.stderr
    assert "region.funding: journal 1 to 3 vouched" in done.stdout
    statement_file = next(state.root.glob("region-key-end-*.json"))
    statement = json.loads(statement_file.read_text())
    assert statement["journals"] == {"funding": {"first": 1, "last": 3, "head": event_hash(last)}}
    new_key = Signer(state.seed("region").read_text().strip()).public_key
    assert statement["successor"] == new_key != signer.public_key

    partner = tmp_path / "partner-trust.json"
    keys.ensure_trust(partner, {"region": signer.public_key})
    forged = tmp_path / "widened.json"
    forged.write_text(
        json.dumps(statement | {"journals": {"funding": statement["journals"]["funding"] | {"last": 9}}})
    )
    tampered = ess("keys", "trust", "add", "--statement", str(forged), "--file", str(partner))
    assert tampered.returncode == 1 and "not signed by its successor" in tampered.stderr, tampered.stderr
    recorded = ess("keys", "trust", "add", "--statement", str(statement_file), "--file", str(partner))
    assert recorded.returncode == 0, recorded.stderr
    region = TrustFile.load(partner).pilots["region"]
    assert [k.key for k in region] == [signer.public_key, new_key]
    assert region[0].ended is not None and region[0].ended.reason == "revoked" and region[1].ended is None
    assert TrustFile.load(partner).digest() == TrustFile.load(state.trust_file).digest()

    # The next routine rotation: the revoked key's successor signed nothing yet, so its end vouches for
    # nothing, and the chain of ends stays verifiable (each signed by the next key).
    rotated = ess("keys", "rotate", "--pilot", "region", "--state-dir", str(state.root))
    assert rotated.returncode == 0, rotated.stderr
    region = TrustFile.load(state.trust_file).pilots["region"]
    assert [(k.ended.reason, k.ended.journals) if k.ended else None for k in region] == [
        ("revoked", {"funding": region[0].ended.journals["funding"]}),  # type: ignore[union-attr]
        ("retired", {}),
        None,
    ]
