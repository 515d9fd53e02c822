"""What makes one service different from another; everything else is the same harness."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter
from sqlalchemy import MetaData

from ess_shared.contracts.base import Payload
from ess_shared.contracts.types import ServiceName
from ess_shared.messaging.outbox import published_by
from ess_shared.messaging.views import View
from ess_shared.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class ServiceSpec:
    name: ServiceName
    metadata: MetaData  # the service's own tables (its acts); shared tables come from ess_shared
    views: Callable[[], Sequence[View]]
    routers: Sequence[Callable[[ServiceRuntime], APIRouter]] = field(default_factory=tuple)
    migrations: str | None = None  # the service's alembic script location, `package:folder`
    publishes: tuple[type[Payload], ...] | None = None
    """The payload types the service may publish (its outbox refuses others; its AsyncAPI document lists
    them). Default: every catalogue type of its service, and the checkpoint every service reports with."""

    def published_types(self) -> tuple[type[Payload], ...]:
        return published_by(self.name) if self.publishes is None else self.publishes
