"""The funders' committee agenda changed: the pilot's staff who chose it are told (each change, or in
their daily digest). The e-mail names projects by id and the funders each waits for, never a title:
reading a title is a read of personal data, which a mail cannot trace."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from ess_contracts.reference.labels import PILOT_NAMES
from ess_core.notify.subscriptions import tell_subscribers
from ess_core.notify.view_watch import ViewWatch
from ess_core.service.runtime import ServiceRuntime
from ess_funding.adapters.reading import agenda

log = logging.getLogger(__name__)
KIND = "agenda_changed"
LABEL = "L'ordre du jour du comité des financeurs a changé"
POLL_S = 10.0


async def watch(runtime: ServiceRuntime) -> None:
    told, views = None, ViewWatch()
    while True:
        try:
            async with runtime.engine.connect() as conn:
                moved = await views.moved(conn)
            if moved:  # the agenda reads every plan: only when the views applied something
                told = await tell_if_changed(runtime, told)
        except Exception:  # the database busy: the next round tries again
            log.warning("notices: reading the agenda failed; trying again", exc_info=True)
            views.seen = None
        await asyncio.sleep(POLL_S)


async def tell_if_changed(runtime: ServiceRuntime, told: str | None) -> str:
    """The agenda's fingerprint; its subscribers told when it differs from `told` (once per agenda and
    person, across restarts: the notice's key names the fingerprint)."""
    async with runtime.engine.connect() as conn:
        entries = await agenda(conn)
    projects = [_entry(e) for e in entries]
    fingerprint = hashlib.sha256(json.dumps(projects, sort_keys=True).encode()).hexdigest()[:16]
    if fingerprint != told and projects:
        context = {"pilot": PILOT_NAMES[runtime.settings.pilot], "projects": projects}
        async with runtime.transaction() as conn:
            await tell_subscribers(conn, runtime.unsubscribing, KIND, fingerprint, context)
    return fingerprint


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The project and who it waits for: a pilot by its name, a co-funder as the agenda names it."""
    funders = [_funder(w["funder"]) for w in entry["waiting"]]
    return {"project_id": entry["project_id"], "funders": funders}


def _funder(funder: str) -> str:
    kind, _, who = funder.partition(" ")
    return PILOT_NAMES.get(who, funder) if kind == "pilot" else funder
