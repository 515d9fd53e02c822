"""What makes one service different from another; everything else is the same harness."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter
from sqlalchemy import MetaData

from ess_shared.contracts.types import ServiceName
from ess_shared.messaging.views import View
from ess_shared.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class ServiceSpec:
    name: ServiceName
    metadata: MetaData  # the service's own tables (its acts); shared tables come from ess_shared
    views: Callable[[], Sequence[View]]
    routers: Sequence[Callable[[ServiceRuntime], APIRouter]] = field(default_factory=tuple)
    migrations: str | None = None  # the service's alembic script location, `package:folder`
