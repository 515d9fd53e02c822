"""The projection's bookkeeping digested as a view: what a service applied (event ids), where each issuer
stands, what waits parked and what was dead-lettered. Two services whose views agree can still differ in
what comes next (a parked event one of them dropped, a future event one of them marks as applied): a
checkpoint at an agreed position signs this digest too, so a snapshot is verified whole (docs/snapshots.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.event import Event
from ess_core.messaging.schema import applied, dead_letters, issuer_position, parked


@dataclass(frozen=True)
class BookkeepingView:
    """Not folded from events (the runner writes these tables): a `View` only so that the digest ledger
    keeps its tables' hashes and `view_digest` reads them like any view's."""

    name: str = "bookkeeping"
    tables: Sequence[Table] = (applied, issuer_position, parked, dead_letters)
    # how often a message was delivered before it was dead-lettered depends on the broker's timing
    digest_excluded: frozenset[str] = field(default=frozenset({"deliveries"}))

    def handles(self, event_type: str) -> bool:
        return False

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        raise AssertionError("the bookkeeping is written by the projection runner, never folded")


BOOKKEEPING = BookkeepingView()
APPENDED = (applied,)
"""Only ever appended to by the fold (a rebuild empties it): the digest ledger hashes what the fold hands
it, with no trigger and no hash kept per row (`DigestLedger.append`)."""
