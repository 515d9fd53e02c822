"""Importing a démarche of Démarches Simplifiées: a run reads the dossiers changed since the last run a
page at a time (then the dossiers deleted since), applies each (`ds_apply`), and after each page keeps
its cursor, so a run that stops (a crash, DS down) resumes from the last page done. One run at a time per
démarche; `ess intake import-ds` asks for one, the scheduled mode runs them every few minutes."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ess_intake.adapters import ds_imports
from ess_intake.adapters.ds_client import DsClient, DsUnavailable, Page, ds_client
from ess_intake.adapters.ds_imports import Pass
from ess_intake.config import DsConfig
from ess_intake.domain.ds_dossier import parse_deleted, parse_dossier
from ess_intake.domain.ds_mapping import DemarcheMapping, against_demarche
from ess_intake.domain.errors import Conflict, NotFound
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.ds_apply import apply_deleted, apply_dossier

log = logging.getLogger(__name__)
Feed = Literal["dossiers", "deleted"]
Connect = Callable[[str, str, float], AbstractAsyncContextManager[DsClient]]


@dataclass
class Progress:
    demarche: int
    started_at: str = field(default_factory=ds_imports.now)
    running: bool = True
    error: str | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def report(self) -> dict[str, Any]:
        return {
            "demarche": self.demarche,
            "running": self.running,
            "started_at": self.started_at,
            "error": self.error,
            "counts": dict(self.counts),
        }


def _later(a: str | None, b: str) -> str:
    """The later of two DS dates (compared as instants: DS writes them with the offset of their day)."""
    return b if a is None or datetime.fromisoformat(b) > datetime.fromisoformat(a) else a


class DsImporter:
    def __init__(self, intake: Intake, config: DsConfig | None, connect: Connect = ds_client) -> None:
        self.intake, self.config, self.connect = intake, config, connect
        self.runs: dict[int, Progress] = {}
        self._tasks: dict[int, asyncio.Task[Progress]] = {}

    def mapping(self, demarche: int) -> DemarcheMapping:
        if self.config is None:
            raise NotFound("no import from Démarches Simplifiées here: ESS_INTAKE_DS_MAPPINGS is not set")
        found = self.config.mappings.get(demarche)
        if found is None:
            raise NotFound(f"no mapping for démarche {demarche} in ESS_INTAKE_DS_MAPPINGS")
        return found

    def start(self, demarche: int) -> Progress:
        """A run in the background; refused while one runs for the démarche."""
        self.mapping(demarche)
        running = self._tasks.get(demarche)
        if running is not None and not running.done():
            raise Conflict(
                f"an import of démarche {demarche} is running", running=self.runs[demarche].report()
            )
        progress = Progress(demarche)
        self._tasks[demarche] = asyncio.create_task(
            self.run(demarche, progress), name=f"ds-import-{demarche}"
        )
        return progress

    async def status(self, demarche: int) -> dict[str, Any]:
        self.mapping(demarche)
        live = self.runs.get(demarche)
        if live is not None and live.running:
            return live.report()
        async with self.intake.runtime.engine.connect() as conn:
            last = await ds_imports.last_run(conn, demarche)
        if last is None:
            return {"demarche": demarche, "running": False, "started_at": None, "error": None, "counts": {}}
        return {
            "demarche": demarche,
            "running": False,
            **{k: last[k] for k in ("started_at", "error", "counts")},
        }

    async def wait(self, demarche: int) -> Progress:
        return await self._tasks[demarche]

    async def run(self, demarche: int, progress: Progress | None = None) -> Progress:
        """One run to its end; what it did, or why it stopped, is in the progress and the database."""
        mapping, config = self.mapping(demarche), self.config
        assert config is not None
        progress = self.runs[demarche] = progress or Progress(demarche)
        try:
            async with self.connect(config.url, config.token(), config.per_second) as ds:
                problems = against_demarche(mapping, await ds.descriptors(demarche))
                if problems:
                    raise ValueError(f"mapping of démarche {demarche}: " + "; ".join(problems))
                await self._feed(ds, mapping, "dossiers", progress)
                await self._feed(ds, mapping, "deleted", progress)
        except (DsUnavailable, ValueError, OSError) as error:
            progress.error = str(error)
            log.warning("DS import of démarche %s stopped: %s", demarche, error)
        except Exception as error:  # a background run: say it here, the next run resumes
            progress.error = f"{type(error).__name__}: {error}"
            log.exception("DS import of démarche %s failed", demarche)
        finally:
            progress.running = False
            await self._save(progress, finished=progress.error is None)
        log.info("DS import of démarche %s: %s", demarche, dict(progress.counts))
        return progress

    async def _feed(self, ds: DsClient, mapping: DemarcheMapping, feed: Feed, progress: Progress) -> None:
        async for page, state in self._pages(ds, mapping.demarche, feed):
            high = state.high_water
            for node in page.nodes:
                if feed == "dossiers":
                    dossier = parse_dossier(node)
                    progress.counts[await apply_dossier(self.intake, mapping, dossier)] += 1
                    high = _later(high, dossier.revision)
                else:
                    deleted = parse_deleted(node)
                    progress.counts[
                        f"deleted_{await apply_deleted(self.intake, mapping.demarche, deleted)}"
                    ] += 1
                    high = _later(high, deleted.deleted_at)
            progress.counts["pages"] += 1
            progress.counts["read"] += len(page.nodes)
            done = Pass(state.since, page.end_cursor, high) if page.has_next else Pass(high or state.since)
            async with self.intake.act() as conn:
                await ds_imports.save_pass(conn, mapping.demarche, feed, done)
            await self._save(progress, finished=False)
            log.info(
                "DS import of démarche %s, %s: page done, %s", mapping.demarche, feed, dict(progress.counts)
            )

    async def _pages(self, ds: DsClient, demarche: int, feed: Feed) -> AsyncIterator[tuple[Page, Pass]]:
        """Each page with the pass as it stood before it, from the cursor a previous run left."""
        async with self.intake.runtime.engine.connect() as conn:
            state = await ds_imports.load_pass(conn, demarche, feed)
        fetch = ds.dossiers if feed == "dossiers" else ds.deleted
        size = self.config.page_size if self.config else 100
        while True:
            page = await fetch(demarche, size, state.cursor, state.since)
            yield page, state
            if not page.has_next:
                return
            async with self.intake.runtime.engine.connect() as conn:
                state = await ds_imports.load_pass(conn, demarche, feed)

    async def _save(self, progress: Progress, finished: bool) -> None:
        async with self.intake.act() as conn:
            counts = dict(progress.counts)
            await ds_imports.save_run(
                conn, progress.demarche, progress.started_at, counts, finished, progress.error
            )

    async def every(self) -> None:
        """The scheduled mode: every démarche mapped, every `ESS_INTAKE_DS_EVERY_MINUTES`."""
        if self.config is None or self.config.every_minutes <= 0:
            return
        while True:
            for demarche in sorted(self.config.mappings):
                running = self._tasks.get(demarche)
                if running is None or running.done():
                    self.start(demarche)
                    await self.wait(demarche)
            await asyncio.sleep(self.config.every_minutes * 60)
