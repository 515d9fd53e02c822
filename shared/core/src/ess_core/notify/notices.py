"""A notice to send, and the outbox it waits in (`ess_notice`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.types import format_timestamp
from ess_core.messaging.db import insert_ignoring_conflicts
from ess_core.messaging.schema import notice as notice_table


@dataclass(frozen=True)
class Notice:
    key: str
    """What it tells, e.g. `correction_requested:<request id>`: a second notice with the key is ignored."""
    kind: str
    recipient: str
    context: Mapping[str, Any] = field(default_factory=dict)
    project_id: str | None = None


def now_text(seconds_from_now: float = 0.0) -> str:
    """An instant as the tables keep them (`format_timestamp`): now, or that many seconds from now."""
    return format_timestamp(datetime.now(UTC) + timedelta(seconds=seconds_from_now))


async def enqueue(conn: AsyncConnection, notice: Notice, state: str = "pending") -> None:
    """Inside the act's transaction: the notice is sent once it commits, or never if it rolls back
    (`held`: kept for the recipient's daily digest)."""
    row = {
        "notice_key": notice.key,
        "kind": notice.kind,
        "recipient": notice.recipient,
        "project_id": notice.project_id,
        "context": json.dumps(notice.context, ensure_ascii=False, sort_keys=True, default=str),
        "created_at": now_text(),
        "state": state,
        "attempts": 0,
    }
    await insert_ignoring_conflicts(conn, notice_table, [row])


async def forget_project(conn: AsyncConnection, project_id: str) -> None:
    """An erasure: the project's notices, their addresses and texts, sent or not, are deleted."""
    await conn.execute(delete(notice_table).where(notice_table.c.project_id == project_id))


def message_id(key: str, pilot: str) -> str:
    """The same for every sending of one notice: a duplicate after a crash folds into the first."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{pilot}.notices.ess>"
