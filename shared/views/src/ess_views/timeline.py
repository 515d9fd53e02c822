"""Every event about a project, with its pilot and dates: the project's timeline.

The stream sequence is not stored here: it changes when a lost stream is republished, so it stays in
the projection's bookkeeping (`ess_applied`) and is joined in when shown, never digested.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table

from ess_contracts.base import Payload
from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.event import Event
from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import metadata
from ess_core.messaging.view_idiom import InsertIgnore

timeline = Table(
    "view_project_timeline",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("type", String(64), nullable=False),
    Column("pilot", String(16), nullable=False),
    Column("service", String(16), nullable=False),
    Column("act_on", String(10), nullable=False, comment="the business date the act carries"),
    Column("occurred_at", String(27), nullable=False),
    PrimaryKeyConstraint("project_id", "event_id"),
)

# Dates a payload carries that are not the date of the act itself.
NOT_ACT_DATES = frozenset({"due_on", "start_on", "legal_right_on", "answer_by"})
PROJECT_TYPES = frozenset(t for t, cls in PAYLOAD_TYPES.items() if cls.AGGREGATE == "project")


@cache
def act_date_field(cls: type[Payload]) -> str | None:
    """The payload's own date of the act (submitted_on, decided_on...), the first declared."""
    for name, field in cls.model_fields.items():
        if name.endswith("_on") and name not in NOT_ACT_DATES and field.annotation is date:
            return name
    return None


def act_date(event: Event) -> date:
    """The business date of an event: its payload's act date, else the day it occurred (UTC)."""
    name = act_date_field(type(event.payload))
    value = getattr(event.payload, name) if name else None
    return value if isinstance(value, date) else event.occurred_at.date()


def record(event: Event) -> InsertIgnore:
    row = {
        "project_id": event.aggregate_id,
        "event_id": event.id,
        "type": event.type,
        "pilot": event.pilot,
        "service": event.service,
        "act_on": act_date(event).isoformat(),
        "occurred_at": format_timestamp(event.occurred_at),
    }
    return InsertIgnore(timeline, [row])
