"""Idempotency keys: the first answer to a request, kept so a retry gets it again.

The (principal, key) primary key is the lock: a second request with the same key inserts the same row,
which PostgreSQL makes wait until the first transaction ends, then refuses; SQLite runs one writer at a
time, so the second sees the first's row. Either way the second answers from the stored row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.types import format_timestamp
from ess_intake.adapters.tables import idempotency


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status_code: int
    body: dict[str, Any]


async def find(conn: AsyncConnection, principal: str, key: str) -> StoredAnswer | None:
    query = select(idempotency).where(idempotency.c.principal == principal, idempotency.c.key == key)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return StoredAnswer(row.fingerprint, row.status_code, json.loads(row.body))


async def store(
    conn: AsyncConnection, principal: str, key: str, fingerprint: str, status_code: int, body: dict[str, Any]
) -> None:
    row = {
        "principal": principal,
        "key": key,
        "fingerprint": fingerprint,
        "status_code": status_code,
        "body": json.dumps(body, sort_keys=True),
        "created_at": format_timestamp(datetime.now(UTC)),
    }
    await conn.execute(insert(idempotency).values(row))
