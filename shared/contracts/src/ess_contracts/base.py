"""The base of every event payload: a frozen pydantic model tagged by its `type`, which is also the last
token of its subject, with the service and aggregate kind that issue it and its schema version."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from ess_contracts.types import AggregateKind, ServiceName


class Payload(BaseModel):
    """Subclasses declare `type: Literal["<aggregate>_<verb>"]` and the class variables below.

    A payload never carries personal data (no names, e-mails, phones, free-text descriptions): those
    stay in intake's database; events carry organisation identifiers, structured data and hashes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    SERVICE: ClassVar[ServiceName]
    AGGREGATE: ClassVar[AggregateKind]
    VERSION: ClassVar[int] = 1
