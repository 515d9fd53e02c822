"""What every act needs: the unit of work (one transaction for the state change and its events), the
service's settings, the private-link signer and a clock. One per process, built in `bootstrap`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.base import Payload
from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import Sealed
from ess_core.privacy.erasure import destroy_keys
from ess_core.privacy.keyring import ERASED
from ess_core.service.unit_of_work import ActHarness
from ess_intake.config import IntakeConfig
from ess_intake.domain.records import ProjectState
from ess_intake.service_layer.links import FollowLinks


def utc_today() -> date:
    return datetime.now(UTC).date()


ACTS_IN_FLIGHT = {"sqlite": 1, "postgresql": 8}
"""Acts of this process that hold a database connection at once. SQLite has one writer: the others wait
here in order instead of polling its busy handler. PostgreSQL's pool has 20 connections: a burst of
requests waits here rather than failing after the pool's 30 s timeout, and reads, the relay, the
projection and the checkpoints keep connections of their own."""


@dataclass
class Intake:
    runtime: ActHarness
    config: IntakeConfig
    clock: Callable[[], date] = utc_today
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    @property
    def links(self) -> FollowLinks:
        return FollowLinks(self.config.link_keys)

    def today(self) -> date:
        return self.clock()

    @contextlib.asynccontextmanager
    async def act(self) -> AsyncIterator[AsyncConnection]:
        """One act's transaction: the state change and its events commit together, or neither does."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(ACTS_IN_FLIGHT.get(self.runtime.engine.dialect.name, 8))
        async with self._slots, self.runtime.transaction() as conn:
            yield conn

    async def seal_title(
        self, conn: AsyncConnection, project_id: str, title: str, *, new: bool = False
    ) -> Sealed:
        """The title as it travels: sealed with the project's title key, which only this pilot holds.
        `new`: a project this act opens, whose key is yet to make."""
        return await self.runtime.sealer.seal(conn, project_id, TITLE_FIELD, title, new=new)

    async def reseal_title(
        self, conn: AsyncConnection, state: ProjectState, title: str
    ) -> tuple[Sealed, list[str]]:
        """A corrected title (GDPR art. 16, rectification): when it changed, the old one's key is destroyed,
        and announced, so the old text is erased everywhere, and the new one sealed under a new key.
        Returns the new title and the keys destroyed, to purge once the act has committed."""
        old = await self.runtime.sealer.opened(
            conn, state.record.project.title, state.project_id, TITLE_FIELD
        )
        destroyed = []
        if old != title:
            destroyed = await destroy_keys(
                conn,
                self.runtime.outbox,
                state.project_id,
                "rectification",
                self.today(),
                fields=(TITLE_FIELD,),
            )
        return await self.seal_title(conn, state.project_id, title), destroyed

    async def title_in(self, conn: AsyncConnection, state: ProjectState) -> str:
        """The project's title as this intake holds it, read inside an act."""
        text = await self.runtime.sealer.opened(
            conn, state.record.project.title, state.project_id, TITLE_FIELD
        )
        return ERASED if text is None else text

    async def open_title(self, title: Sealed, project_id: str) -> str:
        """Intake wrote every title it holds: a title whose key is gone here was erased."""
        async with self.runtime.engine.connect() as conn:
            text = await self.runtime.sealer.opened(conn, title, project_id, TITLE_FIELD)
        return ERASED if text is None else text

    async def record(
        self, conn: AsyncConnection, aggregate_id: str, payloads: list[Payload], *, new: bool = False
    ) -> None:
        await self.runtime.outbox.record(conn, aggregate_id, payloads, new=new)
