"""Sends what the notices outbox holds, after the acts that wrote it committed: render, send, mark sent.
A failure is tried again later (backoff doubling from a few seconds to an hour), and marked failed after
`MAX_ATTEMPTS`; a notice whose template cannot render is failed at once (`/metrics`: `ess_notices` by
state; the log names each failure)."""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from jinja2 import TemplateError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_core.messaging.schema import notice
from ess_core.notify.notices import message_id, now_text
from ess_core.notify.smtp import SmtpSettings
from ess_core.notify.templates import Templates

log = logging.getLogger(__name__)
BATCH = 20
IDLE_S = 1.0
MAX_ATTEMPTS = 8
FIRST_RETRY_S = 5.0
LAST_RETRY_S = 3600.0


class NoticeSender:
    def __init__(
        self,
        engine: AsyncEngine,
        smtp: SmtpSettings,
        templates: Templates,
        pilot: str,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    ) -> None:
        self.engine, self.smtp, self.templates, self.pilot = engine, smtp, templates, pilot
        self.transaction = transaction

    async def run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except Exception:  # the database busy: the next round tries again
                log.warning("sending notices failed; trying again", exc_info=True)
                sent = 0
            if not sent:
                await asyncio.sleep(IDLE_S)

    async def send_due(self) -> int:
        """Each pending notice whose time has come, in the order they were written; how many went."""
        now = now_text()
        due = (notice.c.state == "pending") & or_(notice.c.retry_at.is_(None), notice.c.retry_at <= now)
        query = select(notice).where(due).order_by(notice.c.created_at, notice.c.notice_key).limit(BATCH)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        sent = 0
        for row in rows:
            context = json.loads(row["context"])
            headers = {
                "From": self.smtp.sender,
                "To": row["recipient"],
                "Message-ID": message_id(row["notice_key"], self.pilot),
            }
            if context.get("unsubscribe_url"):  # RFC 8058: mail clients offer one-click unsubscribe
                headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            try:
                message = self.templates.message(row["kind"], context, headers)
            except TemplateError as exc:  # a pilot's template that cannot render: no retry mends it
                log.error("notice %s cannot be rendered: %s", row["notice_key"], exc)
                await self._mark(row["notice_key"], state="failed", last_error=f"template: {exc}"[:400])
                continue
            try:
                await asyncio.to_thread(self.smtp.send, message)
            except (smtplib.SMTPException, OSError) as exc:
                await self._failed(row["notice_key"], row["attempts"] + 1, f"{type(exc).__name__}: {exc}")
                continue
            await self._mark(
                row["notice_key"], state="sent", sent_at=now_text(), attempts=row["attempts"] + 1
            )
            sent += 1
        return sent

    async def _failed(self, key: str, attempts: int, error: str) -> None:
        log.warning("notice %s not sent (attempt %d): %s", key, attempts, error)
        if attempts >= MAX_ATTEMPTS:
            await self._mark(key, state="failed", attempts=attempts, last_error=error[:400])
            return
        wait = min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** (attempts - 1))
        await self._mark(key, attempts=attempts, retry_at=now_text(wait), last_error=error[:400])

    async def _mark(self, key: str, **values: object) -> None:
        async with self.transaction() as conn:
            await conn.execute(update(notice).where(notice.c.notice_key == key).values(**values))
