"""What `ess status` reports, as data (its JSON form is what scripts and the system test read).

Fields are only ever added: scripts parse this."""

from __future__ import annotations

from pydantic import BaseModel


class Thresholds(BaseModel):
    """When a figure makes the report unhealthy (non-zero exit). Dead letters always do."""

    max_lag_seconds: float = 60.0
    """A service is behind when the oldest stream message it has not applied is older than this."""
    max_outbox_age_seconds: float = 60.0
    """A service is stuck publishing when its oldest unpublished event is older than this."""


class BrokerState(BaseModel):
    url: str
    ok: bool = False
    error: str | None = None
    streams: int | None = None
    consumers: int | None = None
    storage_bytes: int | None = None


class StreamLimit(BaseModel):
    """The stream against one of its limits (deploy/stream.json): `alarm` at 80 % or more."""

    limit: str
    used: int
    maximum: int | None = None
    ratio: float | None = None
    alarm: bool = False


class StreamState(BaseModel):
    name: str
    ok: bool = False
    error: str | None = None
    messages: int | None = None
    last_seq: int | None = None
    consumers: int | None = None
    subjects: list[str] = []
    last_event_seq: int | None = None
    """The last stream sequence of an event a view applies (checkpoints excluded)."""
    limits: list[StreamLimit] = []


class ServiceState(BaseModel):
    """A service of this `ess up`, read from its own database (and its /healthz)."""

    pilot: str
    service: str
    pid: int
    alive: bool
    http_url: str
    http_ok: bool
    log: str
    error: str | None = None
    outbox_total: int | None = None
    outbox_backlog: int | None = None
    applied_position: int | None = None
    applied_events: int | None = None
    lag: int | None = None
    parked: int | None = None
    dead_letters: int | None = None
    probe_applied: bool = False
    probes: int | None = None
    source: str = "database"
    lag_seconds: float | None = None
    """Age of the oldest stream message it has not applied (0 when it has applied everything)."""
    outbox_oldest_age_seconds: float | None = None
    """Age of its oldest unpublished event (from the event id, a UUIDv7), None when nothing waits."""


class PeerState(BaseModel):
    """A service known only from its latest checkpoint on the stream: another pilot's (or not of this
    run). Its signed checkpoint says what it had applied when it wrote it."""

    pilot: str
    service: str
    verified: bool = True
    error: str | None = None
    checkpoint_seq: int | None = None
    checkpoint_age_seconds: float | None = None
    applied_position: int | None = None
    applied_events: int | None = None
    lag: int | None = None
    """Stream sequences between what it had applied and the last event on the stream (checkpoints
    interleaved there are counted: an upper bound, 0 exactly when it has every event)."""
    parked: int | None = None
    dead_letters: int | None = None
    view_digest: str | None = None


class Report(BaseModel):
    healthy: bool
    problems: list[str]
    run_pid: int | None
    probe_id: str | None
    broker: BrokerState
    stream: StreamState
    services: list[ServiceState]
    peers: list[PeerState] = []
    thresholds: Thresholds = Thresholds()
    checked_at: str | None = None
