"""Ending a pilot's signing key (`ess keys rotate`, `ess keys revoke`): read from the pilot's own journals
what the old key signed, state it signed by the new key, record it in the trust file.

The journals are the truth of the pilot's acts: a copy of the key used by someone else signed nothing
there, so the marks read from them vouch for the genuine events only. The services must be stopped with
their outboxes drained: an event not yet on the stream could not be found on the chain by partners.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select

from ess_contracts.codec import KEY
from ess_contracts.key_history import JournalMark, KeyEnd, event_hash
from ess_contracts.signing import SignatureInvalid, Signer, TrustFile, TrustStore, sign_statement
from ess_contracts.types import Pilot, ServiceName
from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import outbox
from ess_ops.keys import KeysError, new_seed


async def journal_mark(database_url: str, service: str, key: str) -> JournalMark | None:
    """What `service` signed under `key`, from its journal; None when it signed nothing with it."""
    engine = make_engine(database_url, writer=False)
    try:
        async with engine.connect() as conn:
            under_key = outbox.c.headers.contains(f'"{KEY}": "{key}"')
            numbered = select(
                func.min(outbox.c.journal),
                func.max(outbox.c.journal),
                func.count(),
                func.count(outbox.c.journal),
            ).where(under_key)
            first, last, signed, with_journal = (await conn.execute(numbered)).one()
            waiting = await conn.scalar(select(func.count()).where(outbox.c.stream_seq.is_(None)))
            head = await conn.scalar(select(outbox.c.data).where(outbox.c.journal == last)) if last else None
    finally:
        await engine.dispose()
    if waiting:
        raise KeysError(
            f"{service}: {waiting} events are not on the stream yet; start the service until its relay "
            "has published them, stop it, then end the key (partners could not find them on the chain)"
        )
    if not signed:
        return None
    if with_journal < signed or last - first + 1 != with_journal:
        raise KeysError(
            f"{service}: {signed} events under key {key[:8]}…, journal {first} to {last} with gaps or "
            "without numbers; its end could not vouch for them all"
        )
    assert head is not None
    return JournalMark(first=first, last=last, head=event_hash(head))


def journal_marks(databases: Mapping[ServiceName, str], key: str) -> dict[ServiceName, JournalMark]:
    marks = {service: asyncio.run(journal_mark(url, service, key)) for service, url in databases.items()}
    return {service: mark for service, mark in marks.items() if mark is not None}


def end_key(
    pilot: Pilot,
    old: Signer,
    new: Signer,
    databases: Mapping[ServiceName, str],
    reason: Literal["retired", "revoked"],
    on: date | None = None,
) -> KeyEnd:
    statement = KeyEnd(
        pilot=pilot,
        key=old.public_key,
        reason=reason,
        on=on or date.today(),
        journals=journal_marks(databases, old.public_key),
        successor=new.public_key,
    )
    return sign_statement(statement, new)


def record_end(trust_file: Path, statement: KeyEnd) -> TrustFile:
    """The trust file with the statement recorded (checked: signed by the successor it names)."""
    trust = TrustFile.load(trust_file) if trust_file.exists() else TrustFile(pilots={})
    try:
        updated = trust.end_key(statement)
        TrustStore(updated)
    except SignatureInvalid as exc:
        raise KeysError(str(exc)) from exc
    updated.save(trust_file)
    return updated


def rotate_seed(seed_file: Path, on: date) -> tuple[Signer, Signer, Path]:
    """Move the pilot's seed aside (kept owner-only: a revoked key's seed is evidence) and generate the
    next one in its place. Returns the old signer, the new one and where the old seed went."""
    old = Signer(seed_file.read_text(encoding="utf-8").strip())
    kept = seed_file.with_name(f"{seed_file.name}.{old.public_key[:12]}.ended-{on.isoformat()}")
    if kept.exists():
        raise KeysError(f"{kept} exists: this key has already ended")
    seed_file.rename(kept)
    return old, new_seed(seed_file), kept


def load_statement(path: Path) -> KeyEnd:
    try:
        return KeyEnd.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise KeysError(f"{path}: not a key's end statement ({exc})") from exc


def save_statement(statement: KeyEnd, path: Path) -> None:
    path.write_text(json.dumps(statement.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
