"""What makes one service different from another; everything else is the same harness."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData

from ess_contracts.base import Payload
from ess_contracts.types import ServiceName
from ess_core.messaging.outbox import published_by
from ess_core.messaging.view_idiom import View
from ess_core.service.project_query import ProjectFinder
from ess_core.service.project_read import ProjectReader
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceSpec:
    name: ServiceName
    metadata: MetaData  # the service's own tables (its acts); shared tables come from ess_core and ess_views
    views: Callable[[], Sequence[View]]  # the views every pilot's services fold and compare (`shared_views`)
    own_views: Callable[[], Sequence[View]] = tuple  # the views only this kind of service holds
    routers: Sequence[Callable[[ServiceRuntime], APIRouter]] = field(default_factory=tuple)
    migrations: str | None = None  # the service's alembic script location, `package:folder`
    project_reader: ProjectReader | None = None  # serves GET /projects/{id}/view from the shared view
    project_finder: ProjectFinder | None = None  # serves GET /projects (a page of the shared view)
    tasks: Sequence[Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = ()
    """The service's own work beside the harness's (a reactor telling holders of decisions...), started
    with it."""
    notices: str | None = None
    """The package whose `notices/` folder holds the service's notice templates, if it sends any."""
    notice_kinds: Mapping[str, str] = field(default_factory=dict)
    """The notices its staff may choose (kind -> label in French), each, daily or off."""
    publishes: tuple[type[Payload], ...] | None = None
    """The payload types the service may publish (its outbox refuses others; its AsyncAPI document lists
    them). Default: every catalogue type of its service, and the checkpoint every service reports with."""

    def all_views(self) -> list[View]:
        return [*self.views(), *self.own_views()]

    def runtime(self, settings: ServiceSettings) -> ServiceRuntime:
        runtime = ServiceRuntime(settings, self.views(), self.own_views(), notices=self.notices)
        runtime.notice_kinds = dict(self.notice_kinds)
        runtime.tasks = {f"{self.name}-{i}": task for i, task in enumerate(self.tasks)}
        return runtime

    def published_types(self) -> tuple[type[Payload], ...]:
        return published_by(self.name) if self.publishes is None else self.publishes


def load_spec(reference: str) -> ServiceSpec:
    """A service's spec named by whoever runs a tool (`ess_intake.bootstrap:service`): the core never
    imports a service by itself."""
    module, _, attribute = reference.partition(":")
    spec = getattr(import_module(module), attribute or "service")
    if not isinstance(spec, ServiceSpec):
        raise TypeError(f"{reference} is not a ServiceSpec")
    return spec
