"""The daily digest: at the pilot's digest time (`ESS_NOTICE_DIGEST_AT`, UTC), each person who chose
`daily` gets one e-mail listing the notices held for them since the last one. In one transaction the
digest is written to the outbox and the notices it lists are marked digested: none is told twice."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, time

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import notice
from ess_core.notify.french import french_date
from ess_core.notify.notices import Notice, enqueue
from ess_core.notify.templates import Templates

log = logging.getLogger(__name__)
ROUND_S = 60.0


class DigestJob:
    def __init__(
        self,
        engine: AsyncEngine,
        templates: Templates,
        pilot: str,
        at: time,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    ) -> None:
        self.engine, self.templates, self.pilot, self.at = engine, templates, pilot, at
        self.transaction = transaction

    async def run(self) -> None:
        while True:
            try:
                await self.digest_due(datetime.now(UTC))
            except Exception:  # the database busy: the next round tries again
                log.warning("notices: the daily digest failed; trying again", exc_info=True)
            await asyncio.sleep(ROUND_S)

    async def digest_due(self, now: datetime) -> int:
        """The digests due at `now`: the notices held before today's digest time; how many digests."""
        if now.timetz().replace(tzinfo=None) < self.at:
            return 0
        cutoff = format_timestamp(datetime.combine(now.date(), self.at, UTC))
        query = select(notice.c.notice_key, notice.c.recipient, notice.c.kind, notice.c.context).where(
            (notice.c.state == "held") & (notice.c.created_at < cutoff)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(notice.c.created_at, notice.c.notice_key))).all()
        by_recipient: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, recipient, kind, context in rows:
            by_recipient[recipient].append((key, self.templates.subject(kind, json.loads(context))))
        for recipient, held in by_recipient.items():
            await self._send_digest(recipient, held, now)
        return len(by_recipient)

    async def _send_digest(self, recipient: str, held: list[tuple[str, str]], now: datetime) -> None:
        keys = [key for key, _ in held]
        about = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
        items = [subject for _, subject in held]
        context = {"day": french_date(now.date()), "items": items, "pilot": self.pilot}
        async with self.transaction() as conn:
            await enqueue(conn, Notice(f"digest:{recipient}:{about}", "digest", recipient, context))
            await conn.execute(
                update(notice)
                .where(notice.c.notice_key.in_(keys) & (notice.c.state == "held"))
                .values(state="digested")
            )
