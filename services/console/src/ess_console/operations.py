"""The operator's pages: each service of the pilot (lag, outbox, rejections, health) and every pilot's
checkpoints side by side; the stream as it comes (filters, pause, one event opened with its verdict); dead
letters and parked events, retried. Each page asks the services' operator routes (`/lag`, `/checkpoints`,
`/stream/events`, `/dlq`, `/dlq/{seq}/retry`) with the person's token, and checks their roles first."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

import asyncio
import json
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ess_console.backend import Backend, InvalidInput
from ess_console.kit import Kit

OPS = frozenset({"operator", "admin"})  # the services' /lag, /checkpoints, /stream/events, /dlq
# their POST /dlq/{seq}/retry: operators keep their pilot's services running, and a retry verifies the
# message again as on arrival (a forged one stays rejected)
RETRYING = frozenset({"operator", "admin"})
SERVICES = ("intake", "funding", "evaluation")
FILTERS = ("pilot", "service", "type", "project")
Service = Annotated[str, Path(pattern=r"^(intake|funding|evaluation)$")]


def add_pages(app: FastAPI, kit: Kit) -> None:
    def services_of(backend: Backend) -> list[str]:
        return [s for s in SERVICES if backend.urls.get(s)]

    @app.get("/exploitation", response_class=HTMLResponse)
    async def overview(request: Request) -> Response:
        session, backend = kit.person_of(request, OPS)
        names = services_of(backend)
        figures = await asyncio.gather(*(reached(backend, "/lag", s) for s in names))
        checkpoints = await reached(backend, "/checkpoints", "funding")
        grid = side_by_side(checkpoints["checkpoints"]) if checkpoints else None
        return kit.page(
            request, "exploitation.html", session, services=list(zip(names, figures, strict=True)),
            checkpoints=checkpoints, grid=grid,
        )  # fmt: skip

    @app.get("/exploitation/flux", response_class=HTMLResponse)
    async def feed(request: Request, after: int | None = None) -> Response:
        session, backend = kit.person_of(request, OPS)
        chosen = {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}
        params: dict[str, Any] = {**chosen, "limit": 50} | ({} if after is None else {"after": after})
        try:
            found = await backend.get("/stream/events", params)
        except InvalidInput as invalid:  # a filter typed by hand: named, the feed empty
            return kit.page(
                request, "flux.html", session, 422, chosen=chosen, events=[], next_after=0,
                errors=dict.fromkeys(invalid.fields, "Saisissez lettres, chiffres, « - » ou « _ »."),
            )  # fmt: skip
        return kit.page(
            request, "flux.html", session, chosen=chosen, events=found["events"][::-1],
            next_after=found["next_after"], errors={},
        )  # fmt: skip

    @app.get("/exploitation/flux/suite", response_class=HTMLResponse)
    async def feed_more(request: Request, after: int) -> Response:
        """The rows after `after` (newest first), for the feed's few lines of script; the next sequence
        to ask after in `X-Suivant`."""
        session, backend = kit.person_of(request, OPS)
        chosen = {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}
        found = await backend.get("/stream/events", {**chosen, "after": after, "limit": 200})
        rows = kit.page(request, "_flux_lignes.html", session, events=found["events"][::-1])
        rows.headers["X-Suivant"] = str(found["next_after"])
        return rows

    @app.get("/exploitation/flux/{stream_seq}", response_class=HTMLResponse)
    async def stream_event(request: Request, stream_seq: int) -> Response:
        session, backend = kit.person_of(request, OPS)
        event = await backend.get(f"/stream/events/{stream_seq}")
        if event is None:
            message = f"Aucun message au numéro {stream_seq} du flux."
            return kit.page(request, "erreur.html", session, 404, message=message)
        shown = json.dumps(event["envelope"], indent=2, ensure_ascii=False) if event["envelope"] else None
        return kit.page(request, "evenement.html", session, event=event, envelope=shown)

    @app.get("/exploitation/rejets", response_class=HTMLResponse)
    async def rejections(request: Request) -> Response:
        session, backend = kit.person_of(request, OPS)
        names = services_of(backend)
        found = await asyncio.gather(*(reached(backend, "/dlq", s) for s in names))
        done = {k: v for k in ("service", "seq", "issue") if (v := request.query_params.get(k))}
        can_retry = not kit.roles_of(session).isdisjoint(RETRYING)
        return kit.page(
            request, "rejets.html", session, services=list(zip(names, found, strict=True)), done=done,
            can_retry=can_retry,
        )  # fmt: skip

    @app.post("/exploitation/rejets/{service}/{stream_seq}/reprise")
    async def retry(request: Request, service: Service, stream_seq: int) -> Response:
        """Retry one rejected message (dead letter or parked event) at its service, as its operators and
        admins may."""
        _, backend = kit.person_of(request, RETRYING)  # other roles refused here, as by the service
        kit.posted_by(request, (await request.form()).get("csrf"))
        result = await backend.post(service, f"/dlq/{stream_seq}/retry", {})
        issue = result["outcome"] if result else "gone"
        target = f"/exploitation/rejets?service={service}&seq={stream_seq}&issue={issue}"
        return RedirectResponse(target, status_code=303)


async def reached(backend: Backend, path: str, service: str) -> dict[str, Any] | None:
    """The service's answer; None when it cannot be reached (shown as such, the others still shown)."""
    try:
        answer: dict[str, Any] | None = await backend.get(path, service=service)
    except httpx.HTTPError:
        return None
    return answer


def side_by_side(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Checkpoints as a grid: a row per kind of service, a column per pilot."""
    pilots = sorted({r["pilot"] for r in rows})
    kinds = [k for k in (*SERVICES, *sorted({r["kind"] for r in rows})) if any(r["kind"] == k for r in rows)]
    cells = {(r["kind"], r["pilot"]): r for r in rows}
    return {"pilots": pilots, "kinds": list(dict.fromkeys(kinds)), "cells": cells}
