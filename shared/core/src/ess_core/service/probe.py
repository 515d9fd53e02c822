"""Probes: `ess up` publishes one and every service shows it has applied it (wiring check)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.event import Event
from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import metadata
from ess_core.messaging.view_idiom import InsertIgnore, Write, execute_writes

probe = Table(
    "view_probe",
    metadata,
    Column("probe_id", String(64), primary_key=True),
    Column("pilot", String(16), nullable=False),
    Column("sent_at", String(27), nullable=False),
)


class ProbeView:
    name = "probe"
    digest_excluded: frozenset[str] = frozenset()

    tables = (probe,)

    def handles(self, event_type: str) -> bool:
        return event_type == "probe_sent"

    def writes(self, event: Event) -> Sequence[Write]:
        row = {
            "probe_id": event.aggregate_id,
            "pilot": event.pilot,
            "sent_at": format_timestamp(event.occurred_at),
        }
        return [InsertIgnore(probe, [row], ("probe_id",))]

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await execute_writes(conn, self.writes(event))
