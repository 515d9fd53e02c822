"""Opening sealed text for one reader, the same way on every route that serves it: only the pilot's own
staff (instructor, decider, admin) get it opened, never operators, who watch services rather than files,
nor another pilot; every text opened is a read of personal data, logged in the service's own database
(`ess_access_log`), once per project and request."""

from __future__ import annotations

from ess_contracts.sealing import Sealed
from ess_core.auth import Principal
from ess_core.privacy import access_log
from ess_core.service.runtime import ServiceRuntime

STAFF = ("instructor", "decider", "admin")


class SealedReads:
    def __init__(self, runtime: ServiceRuntime, reader: Principal) -> None:
        self.runtime, self.reader = runtime, reader
        self.may = reader.has_any(STAFF) and reader.pilot == runtime.settings.pilot
        self._opened: dict[str, set[str]] = {}

    async def open(self, sealed: Sealed | None, project_id: str, field: str) -> str | None:
        """The text for this reader (or its French placeholder); None when there is none or it may not."""
        if sealed is None or not self.may:
            return None
        self._opened.setdefault(project_id, set()).add(field)
        return await self.runtime.keyring.text(sealed, project_id, field)

    async def log(self) -> None:
        """Record what was opened: call once the answer is ready."""
        if not self._opened:
            return
        pilot, subject = self.reader.pilot or self.runtime.settings.pilot, self.reader.subject
        async with self.runtime.engine.begin() as conn:
            for project_id, fields in sorted(self._opened.items()):
                await access_log.record(conn, project_id, pilot, subject, sorted(fields))
