"""The ledger view: each pilot's control links and outside aid, as rows keyed by (pilot, id). Only the
owner's funding service speaks for them (ess_contracts.authority), in its sequence: a later recording
replaces the row, a withdrawal marks it. Nothing is judged here: verdicts are computed from the rows when
they are read (ess_views.undertaking.ledger), so the fold of a plan never waits on other projects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import undertaking as u
from ess_contracts.event import Event
from ess_core.messaging.view_idiom import Update, Upsert, Write, execute_writes
from ess_views.undertaking import tables as t

ID_COLUMNS = {"control_link": "link_id", "outside_aid": "aid_id"}
TABLES: dict[str, Table] = {"control_link": t.link, "outside_aid": t.outside_aid}


def _recorded(event: Event, values: dict[str, Any]) -> Sequence[Write]:
    table, id_column = TABLES[event.aggregate], ID_COLUMNS[event.aggregate]
    row = {
        "pilot": event.pilot,
        id_column: event.aggregate_id,
        "event_id": event.id,
        **values,
        "withdrawn_on": None,
        "withdrawal_reason": None,
    }
    return [Upsert(table, [row], ("pilot", id_column))]


def _withdrawn(event: Event, p: u.ControlLinkWithdrawn | u.OutsideAidWithdrawn) -> Sequence[Write]:
    where = {"pilot": event.pilot, ID_COLUMNS[event.aggregate]: event.aggregate_id}
    values = {"withdrawn_on": p.withdrawn_on.isoformat(), "withdrawal_reason": p.reason}
    return [Update(TABLES[event.aggregate], where, values)]


class LedgerView:
    """Control links and outside aid, as every pilot holds them (a `WritingView`)."""

    name = "undertaking_ledger"
    tables = t.LEDGER_TABLES
    digest_excluded: frozenset[str] = frozenset()

    def handles(self, event_type: str) -> bool:
        return event_type in {
            "control_link_recorded",
            "control_link_withdrawn",
            "outside_aid_recorded",
            "outside_aid_withdrawn",
        }

    def writes(self, event: Event) -> Sequence[Write]:
        p = event.payload
        if isinstance(p, u.ControlLinkWithdrawn | u.OutsideAidWithdrawn):
            return _withdrawn(event, p)
        if isinstance(p, u.ControlLinkRecorded | u.OutsideAidRecorded):
            return _recorded(event, p.model_dump(mode="json", exclude={"type"}))
        raise TypeError(f"the ledger does not fold {event.type}")

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        await execute_writes(conn, self.writes(event))
