"""Operational events: probes that show a deployment is wired end to end, and the signed checkpoints
with which every service tells all pilots what it has applied and the digest of its view."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ess_contracts.base import Payload
from ess_contracts.types import AggregateKind, ServiceName, Sha256, Text, Token


class ProbeSent(Payload):
    SERVICE: ClassVar[ServiceName] = "ops"
    AGGREGATE: ClassVar[AggregateKind] = "probe"
    type: Literal["probe_sent"] = "probe_sent"
    note: Text = Field(default="", max_length=200)


class CheckpointRecorded(Payload):
    """Issued by a service (its own service name), aggregate id `<service>`; one per interval or request.

    Version 2 adds `own_view_digest`: the digest of the views only services of its kind hold (the
    evaluation views), compared among them; a version 1 checkpoint reads as one without it.

    Version 3 adds `bookkeeping_digest` (what the service applied, its issuers' positions, what waits
    parked or was dead-lettered: docs/snapshots.md) and `agreed_position`: true when the checkpoint was
    taken with every event up to `stream_sequence` handled and none after it, at a multiple of the
    federation's agreed interval, so services of every pilot sign digests of the same set of events.
    """

    SERVICE: ClassVar[ServiceName] = "ops"
    AGGREGATE: ClassVar[AggregateKind] = "checkpoint"
    VERSION: ClassVar[int] = 3
    type: Literal["checkpoint_recorded"] = "checkpoint_recorded"
    reporting_service: Token
    stream_sequence: int = Field(ge=0)
    applied_events: int = Field(ge=0)
    view_digest: Sha256
    parked: int = Field(ge=0)
    dead_letters: int = Field(ge=0)
    catalogue_version: Token
    trust_hash: Sha256
    own_view_digest: Sha256 | None = None
    bookkeeping_digest: Sha256 | None = None
    agreed_position: bool = False


OpsPayload = ProbeSent | CheckpointRecorded
