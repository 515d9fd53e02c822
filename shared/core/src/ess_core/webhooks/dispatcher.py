"""Posts each due delivery, signed; a 2xx marks it delivered, anything else tries again after an
exponential delay with jitter (`first_retry_s` doubling up to `last_retry_s`, each drawn between three
quarters and all of it, so receivers coming back are not hit by every sender at once), until the
webhook's `max_attempts`, after which it is dead (the delivery log shows it; a replay sends it again)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_core.messaging.schema import webhook_delivery as delivery
from ess_core.notify.notices import now_text
from ess_core.webhooks.config import Webhook
from ess_core.webhooks.signature import HEADER, sign

log = logging.getLogger(__name__)
BATCH = 50
IDLE_S = 1.0
TIMEOUT_S = 10.0


def retry_delay(hook: Webhook, attempts: int, draw: Callable[[], float] = random.random) -> float:
    """After `attempts` failures: the doubling delay, capped, with jitter."""
    ceiling = min(hook.last_retry_s, hook.first_retry_s * 2.0 ** (attempts - 1))
    return ceiling * (0.75 + 0.25 * draw())


class WebhookDispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        hooks: Mapping[str, Webhook],
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
        user_agent: str,
    ) -> None:
        self.engine, self.hooks, self.transaction = engine, hooks, transaction
        self.headers = {"Content-Type": "application/json", "User-Agent": user_agent}

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, trust_env=False) as client:
            while True:
                try:
                    await self.deliver_due(client)
                    wait = await self._until_next()
                except Exception:  # the database busy: the next round tries again
                    log.warning("webhooks: delivering failed; trying again", exc_info=True)
                    wait = IDLE_S
                await asyncio.sleep(wait)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        due = (delivery.c.state == "pending") & (delivery.c.next_try_at <= now_text())
        query = (
            select(delivery).where(due).order_by(delivery.c.next_try_at, delivery.c.stream_seq).limit(BATCH)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        for row in rows:
            await self._deliver(client, row)
        return len(rows)

    async def _deliver(self, client: httpx.AsyncClient, row: RowMapping) -> None:
        hook = self.hooks.get(row["webhook"])
        if hook is None:  # removed from the configuration: its deliveries wait for it to come back
            return
        body = row["body"].encode()
        headers = {
            **self.headers,
            HEADER: sign(hook.secret(), body),
            "ESS-Delivery": row["delivery_id"],
            "ESS-Event-Type": row["event_type"],
        }
        attempts = row["attempts"] + 1
        try:
            answer = await client.post(str(hook.url), content=body, headers=headers)
            status, error = answer.status_code, None if answer.is_success else f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:400]
        values: dict[str, object] = {"attempts": attempts, "last_status": status, "last_error": error}
        if error is None:
            values |= {"state": "delivered", "delivered_at": now_text()}
        elif attempts >= hook.max_attempts:
            values |= {"state": "dead"}
            log.warning("webhooks: %s dead after %d attempts: %s", row["delivery_id"], attempts, error)
        else:
            values |= {"next_try_at": now_text(retry_delay(hook, attempts))}
        async with self.transaction() as conn:
            await conn.execute(
                update(delivery).where(delivery.c.delivery_id == row["delivery_id"]).values(values)
            )

    async def _until_next(self) -> float:
        """Sleep until the next delivery is due, a second at most (new ones are picked up by then)."""
        async with self.engine.connect() as conn:
            due = await conn.scalar(
                select(func.min(delivery.c.next_try_at)).where(delivery.c.state == "pending")
            )
        if due is None:
            return IDLE_S
        seconds = (datetime.fromisoformat(due) - datetime.now(UTC)).total_seconds()
        return min(IDLE_S, max(0.01, seconds))
