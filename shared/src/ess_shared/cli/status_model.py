"""What `ess status` reports, as data (its JSON form is what scripts and the system test read)."""

from __future__ import annotations

from pydantic import BaseModel


class BrokerState(BaseModel):
    url: str
    ok: bool = False
    error: str | None = None
    streams: int | None = None
    consumers: int | None = None
    storage_bytes: int | None = None


class StreamState(BaseModel):
    name: str
    ok: bool = False
    error: str | None = None
    messages: int | None = None
    last_seq: int | None = None
    consumers: int | None = None
    subjects: list[str] = []


class ServiceState(BaseModel):
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


class Report(BaseModel):
    healthy: bool
    problems: list[str]
    run_pid: int
    probe_id: str
    broker: BrokerState
    stream: StreamState
    services: list[ServiceState]
