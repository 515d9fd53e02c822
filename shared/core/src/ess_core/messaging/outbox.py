"""The transactional outbox: a service's acts and their signed events are written in one transaction.

The rows are never deleted: they are the service's journal, from which it can republish everything.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.authority import refusal
from ess_contracts.base import Payload
from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.codec import WireMessage, encode_journal
from ess_contracts.event import Event, new_event
from ess_contracts.key_history import event_hash
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.privacy import DataKeyDestroyed
from ess_contracts.signing import Signer
from ess_contracts.types import Pilot, ServiceName
from ess_core.messaging.schema import outbox
from ess_core.refusals import Invalid
from ess_core.tracing.spans import recorded

# Built once: on an act's path, building a statement and its cache key costs about as much as running it.
_INSERT = outbox.insert()
_LAST_SEQUENCE = select(func.max(outbox.c.sequence)).where(
    outbox.c.aggregate == bindparam("aggregate"), outbox.c.aggregate_id == bindparam("aggregate_id")
)
_JOURNAL_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.ess_outbox.journal'))")
_JOURNAL_HEAD = (
    select(outbox.c.journal, outbox.c.data)
    .where(outbox.c.journal.is_not(None))
    .order_by(outbox.c.journal.desc())
    .limit(1)
)


def published_by(service: str) -> tuple[type[Payload], ...]:
    """What a service publishes unless its spec says otherwise: the catalogue's types of that service,
    the checkpoint every service reports with, and the destruction of its own data keys (the envelope
    admits no other service's types)."""
    own = (cls for cls in PAYLOAD_TYPES.values() if service == cls.SERVICE)
    return (*own, CheckpointRecorded, DataKeyDestroyed)


class NotPublished(ValueError):
    """A payload type the service does not declare: its published contract would not list it."""


@dataclass(frozen=True)
class Outbox:
    """Issues events as one pilot's service: allocates the per-aggregate sequence, signs, stores.
    `publishes` (type names), when given, is all it may issue: the service's declared contract."""

    pilot: Pilot
    service: ServiceName
    signer: Signer
    publishes: Collection[str] | None = None

    async def record(
        self,
        conn: AsyncConnection,
        aggregate_id: str,
        payloads: Sequence[Payload],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        new: bool = False,
    ) -> list[Event]:
        """Call inside the transaction that changes the service's own state. A concurrent writer on the
        same aggregate makes the unique (aggregate, id, sequence) constraint fail: retry the act. `new`:
        the act made the aggregate's id, so its events start at 1 without reading the last sequence (an id
        that existed after all fails the same constraint)."""
        if not payloads:
            return []
        aggregate = type(payloads[0]).AGGREGATE
        sequence = 0 if new else await self.last_sequence(conn, aggregate, aggregate_id)
        events: list[Event] = []
        for payload in payloads:
            sequence += 1
            event = new_event(
                payload,
                pilot=self.pilot,
                service=self.service,
                aggregate_id=aggregate_id,
                sequence=sequence,
                correlation_id=correlation_id or (events[0].id if events else None),
                causation_id=causation_id,
            )
            events.append(event)
        return await self.store(conn, events)

    def _check_issuable(self, events: Sequence[Event]) -> None:
        """Only this pilot's service, only declared types, only about aggregates it may speak for: a row
        the broker would refuse, or every fold dead-letter, must never be written, since the relay could
        not publish it and the journal would hold it for ever."""
        for event in events:
            not_allowed = refusal(event)
            if not_allowed is not None:
                raise Invalid(not_allowed, aggregate_id=event.aggregate_id)
        foreign = sorted({f"{e.pilot}.{e.service}" for e in events} - {f"{self.pilot}.{self.service}"})
        if foreign:
            raise NotPublished(
                f"{self.pilot}'s {self.service} service cannot issue events as {', '.join(foreign)}"
            )
        undeclared = sorted({e.type for e in events} - set(self.publishes or {e.type for e in events}))
        if undeclared:
            raise NotPublished(
                f"{self.service} does not declare {', '.join(undeclared)} in its published types "
                "(ServiceSpec.publishes): its contract (docs/asyncapi) would not list it"
            )

    async def store(self, conn: AsyncConnection, events: Sequence[Event]) -> list[Event]:
        """Number the events in the service's journal, chain each to the one before, sign, store; returns
        them as signed."""
        self._check_issuable(events)
        with recorded(events) as trace_context:
            signed = encode_journal(events, self.signer, *await journal_head(conn))
            await conn.execute(_INSERT, _rows(signed, trace_context))
        return [event for event, _ in signed]

    @staticmethod
    async def last_sequence(conn: AsyncConnection, aggregate: str, aggregate_id: str) -> int:
        params = {"aggregate": aggregate, "aggregate_id": aggregate_id}
        return (await conn.scalar(_LAST_SEQUENCE, params)) or 0


def _rows(signed: Sequence[tuple[Event, WireMessage]], trace_context: str | None) -> list[dict[str, object]]:
    """The trace context goes beside the signed message, never in it: the relay puts it in the headers."""
    return [
        {
            "event_id": event.id,
            "subject": wire.subject,
            "aggregate": event.aggregate,
            "aggregate_id": event.aggregate_id,
            "sequence": event.sequence,
            "journal": event.journal,
            "data": wire.data,
            "headers": json.dumps(wire.headers, sort_keys=True),
            "trace_context": trace_context,
        }
        for event, wire in signed
    ]


async def journal_head(conn: AsyncConnection) -> tuple[int, str | None]:
    """The last journal number and the hash of its signed bytes, held until the transaction ends: acts
    take their numbers one after another, so the journal has no gap and the chain no fork. SQLite writers
    already begin IMMEDIATE (one at a time); on PostgreSQL a transaction-scoped advisory lock does it."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_JOURNAL_LOCK)
    last = (await conn.execute(_JOURNAL_HEAD)).first()
    return (last.journal, event_hash(last.data)) if last else (0, None)
