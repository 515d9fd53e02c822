"""The funding service's HTTP API for the beneficiary ledger (de minimis per single undertaking).

GET  /undertakings/{siren}                  where the undertaking stands on `as_of` (default today):
                                            members, aid in each window, ceilings, headroom, verdicts
GET  /undertakings/{siren}/certificate      the de minimis certificate, in French (text/plain)
POST /control-links                         record a control link (instructor)
PUT  /control-links/{link_id}               correct or end one this pilot recorded (instructor)
POST /control-links/{link_id}/withdrawal    withdraw one recorded in error (instructor)
POST /outside-aids                          record aid granted outside the plans (instructor)
PUT  /outside-aids/{aid_id}                 correct it; POST .../withdrawal withdraws it (instructor)
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from ess_core.auth import Principal, require_service_pilot
from ess_core.service.http import refusal_responses
from ess_core.service.json_schema import request_body
from ess_core.service.runtime import ServiceRuntime
from ess_funding.adapters.undertaking_document import certificate, undertaking_document
from ess_funding.service_layer.undertakings import LINKS, OUTSIDE_AID, Kind, Recorded, UndertakingRecorder
from ess_views.undertaking.store import load_ledger

SirenPath = Annotated[str, Path(pattern=r"^\d{9}$", description="the SIREN of one undertaking")]
AsOf = Annotated[date | None, Query(description="the date the ledger is read at (default: today)")]
AggregateId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
READERS = ("instructor", "decider", "operator", "admin")


def undertaking_router(runtime: ServiceRuntime) -> APIRouter:
    pilot = runtime.settings.pilot
    recorder = UndertakingRecorder(runtime)
    router = APIRouter(tags=["undertakings"])
    reader = require_service_pilot(pilot, *READERS)

    @router.get("/undertakings/{siren}", responses=refusal_responses(401, 403))
    async def undertaking(
        siren: SirenPath, _: Annotated[Principal, Depends(reader)], as_of: AsOf = None
    ) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            ledger = await load_ledger(conn, {siren})
        return undertaking_document(ledger, siren, as_of or _today())

    @router.get(
        "/undertakings/{siren}/certificate",
        response_class=PlainTextResponse,
        responses=refusal_responses(401, 403),
    )
    async def de_minimis_certificate(
        siren: SirenPath, _: Annotated[Principal, Depends(reader)], as_of: AsOf = None
    ) -> PlainTextResponse:
        async with runtime.engine.connect() as conn:
            ledger = await load_ledger(conn, {siren})
        text = certificate(ledger, siren, as_of or _today(), pilot)
        disposition = f'inline; filename="attestation-de-minimis-{siren}.txt"'
        return PlainTextResponse(text, headers={"Content-Disposition": disposition})

    for kind in (LINKS, OUTSIDE_AID):
        _routes(router, kind, pilot, recorder)
    return router


def _today() -> date:
    return datetime.now(UTC).date()


def _answer(status: int, kind: Kind, recorded: Recorded) -> JSONResponse:
    event = recorded.event
    return JSONResponse(
        status_code=status,
        content={
            "id": event.aggregate_id,
            "event_id": event.id,
            "pilot": event.pilot,
            "kind": kind.aggregate,
            "sequence": event.sequence,
            "act": event.payload.model_dump(mode="json"),
            "verdicts": [v.as_dict() for v in recorded.verdicts],
        },
    )


def _routes(router: APIRouter, kind: Kind, pilot: str, recorder: UndertakingRecorder) -> None:
    actor = require_service_pilot(pilot, "instructor", cross_pilot_read_roles=())
    body_doc = request_body(kind.recorded, exclude=("type", "recorded_by"))
    withdrawal_doc = request_body(kind.withdrawn, optional=("withdrawn_on",))
    Fields = Annotated[dict[str, Any], Body()]
    Actor = Annotated[Principal, Depends(actor)]

    async def record(principal: Actor, body: Fields) -> JSONResponse:
        return _answer(201, kind, await recorder.record(kind, body, principal.subject))

    async def correct(aggregate_id: AggregateId, principal: Actor, body: Fields) -> JSONResponse:
        return _answer(200, kind, await recorder.record(kind, body, principal.subject, aggregate_id))

    async def withdraw(aggregate_id: AggregateId, principal: Actor, body: Fields) -> JSONResponse:
        return _answer(201, kind, await recorder.withdraw(kind, aggregate_id, body, principal.subject))

    name = kind.aggregate
    routes = (
        (f"/{kind.path}", record, "POST", 201, f"record_{name}", f"Record a {kind.label}", body_doc),
        (
            f"/{kind.path}/{{aggregate_id}}",
            correct,
            "PUT",
            200,
            f"correct_{name}",
            f"Correct or end a {kind.label}",
            body_doc,
        ),
        (
            f"/{kind.path}/{{aggregate_id}}/withdrawal",
            withdraw,
            "POST",
            201,
            f"withdraw_{name}",
            f"Withdraw a {kind.label} recorded in error",
            withdrawal_doc,
        ),
    )
    for path, endpoint, method, status, route_name, summary, schema in routes:
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            status_code=status,
            name=route_name,
            summary=f"{summary} (instructor)",
            responses=refusal_responses(401, 403, 404),
            openapi_extra={
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}
            },
        )
