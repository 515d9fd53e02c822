"""The notices staff choose (a service's `notice_kinds`: the committee agenda, reviews falling due...):
each person gives an address and, per kind, `each` (one e-mail per event), `daily` (one digest a day) or
`off`. Every such e-mail carries a one-click unsubscribe link (RFC 8058) signed for that person and kind.
What the law requires to be sent (a holder's notices) is never subscribable."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Literal, cast
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.messaging.db import upsert
from ess_core.messaging.schema import notice_subscription as subscription
from ess_core.notify.notices import Notice, enqueue, now_text

Mode = Literal["each", "daily", "off"]


class Unsubscribing:
    """Signs and checks the unsubscribe links of one service (a key derived from its pilot's seed)."""

    def __init__(self, seed: bytes, public_url: str | None) -> None:
        self.key = hmac.new(seed, b"ess notices unsubscribe v1", hashlib.sha256).digest()
        self.public_url = public_url

    def token(self, subscriber: str, kind: str) -> str:
        return hmac.new(self.key, f"{subscriber}\n{kind}".encode(), hashlib.sha256).hexdigest()[:40]

    def valid(self, subscriber: str, kind: str, token: str) -> bool:
        return hmac.compare_digest(self.token(subscriber, kind), token)

    def url(self, subscriber: str, kind: str) -> str | None:
        if self.public_url is None:
            return None
        query = urlencode({"s": subscriber, "k": kind, "t": self.token(subscriber, kind)})
        return f"{self.public_url}/notices/unsubscribe?{query}"


async def choices(conn: AsyncConnection, subscriber: str) -> dict[str, tuple[str, Mode]]:
    """kind -> (address, mode), as this person chose."""
    query = select(subscription.c.kind, subscription.c.email, subscription.c.mode)
    rows = await conn.execute(query.where(subscription.c.subscriber == subscriber))
    return {kind: (email, cast(Mode, mode)) for kind, email, mode in rows}


async def choose(conn: AsyncConnection, subscriber: str, email: str, modes: Mapping[str, Mode]) -> None:
    now = now_text()
    rows = [
        {"subscriber": subscriber, "kind": kind, "email": email, "mode": mode, "updated_at": now}
        for kind, mode in modes.items()
    ]
    await upsert(conn, subscription, rows, ["subscriber", "kind"])


async def tell_subscribers(
    conn: AsyncConnection, unsubscribing: Unsubscribing, kind: str, about: str, context: Mapping[str, Any]
) -> int:
    """One notice per person who chose `kind` (held for the day's digest for those who chose `daily`),
    keyed `<kind>:<about>:<person>`: told once per thing. How many."""
    query = select(subscription.c.subscriber, subscription.c.email, subscription.c.mode).where(
        (subscription.c.kind == kind) & (subscription.c.mode != "off")
    )
    told = 0
    for subscriber, email, mode in await conn.execute(query):
        unsubscribe = unsubscribing.url(subscriber, kind)
        notice = Notice(
            f"{kind}:{about}:{subscriber}", kind, email, {**context, "unsubscribe_url": unsubscribe}
        )
        await enqueue(conn, notice, state="held" if mode == "daily" else "pending")
        told += 1
    return told
