"""The envelope every event travels in. Its canonical bytes are what the issuing pilot signs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ess_contracts.catalogue import AnyPayload
from ess_contracts.types import AggregateKind, Pilot, ServiceName, Token, UtcTimestamp

EventId = str


def new_event_id() -> EventId:
    """UUIDv7: ordered by creation time, so ties broken by event id follow time of issue."""
    return str(uuid_utils.uuid7())


class Issuer(BaseModel):
    """Who orders a run of events: one pilot's service on one aggregate."""

    model_config = ConfigDict(frozen=True)
    pilot: Pilot
    service: ServiceName
    aggregate: AggregateKind
    aggregate_id: Token


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EventId = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    version: int = Field(ge=1, description="schema version of the payload")
    pilot: Pilot
    service: ServiceName
    aggregate: AggregateKind
    aggregate_id: Token
    sequence: int = Field(ge=1, description="the issuer's own sequence for this aggregate")
    journal: int | None = Field(
        default=None,
        ge=1,
        description="the issuing service's own counter over all its events, without gaps: what the end of a "
        "signing key vouches for (ess_contracts.key_history)",
    )
    previous: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the signed bytes of the service's previous journal event: the chain that "
        "tells the events a retired key signed from any signed later with a stolen copy",
    )
    occurred_at: UtcTimestamp
    correlation_id: EventId
    causation_id: EventId | None = None
    payload: AnyPayload

    @model_validator(mode="after")
    def _payload_fits_envelope(self) -> Event:
        cls = type(self.payload)
        if self.aggregate != cls.AGGREGATE:
            raise ValueError(f"{self.type} belongs to aggregate {cls.AGGREGATE!r}, not {self.aggregate!r}")
        if cls.SERVICE != "ops" and self.service != cls.SERVICE:
            raise ValueError(f"{self.type} is issued by service {cls.SERVICE!r}, not {self.service!r}")
        if self.version != cls.VERSION:
            raise ValueError(f"{self.type} is at version {cls.VERSION}, envelope says {self.version}")
        return self

    @property
    def type(self) -> str:
        return self.payload.type

    @property
    def issuer(self) -> Issuer:
        return Issuer(
            pilot=self.pilot, service=self.service, aggregate=self.aggregate, aggregate_id=self.aggregate_id
        )

    @property
    def issuer_key(self) -> tuple[str, str, str, str]:
        return (self.pilot, self.service, self.aggregate, self.aggregate_id)

    @property
    def subject(self) -> str:
        return f"ess.{self.pilot}.{self.service}.{self.aggregate}.{self.aggregate_id}.{self.type}"

    def wire_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def new_event(
    payload: Any,
    *,
    pilot: Pilot,
    service: ServiceName,
    aggregate_id: str,
    sequence: int,
    correlation_id: EventId | None = None,
    causation_id: EventId | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    event_id = new_event_id()
    return Event(
        id=event_id,
        version=type(payload).VERSION,
        pilot=pilot,
        service=service,
        aggregate=type(payload).AGGREGATE,
        aggregate_id=aggregate_id,
        sequence=sequence,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        payload=payload,
    )
