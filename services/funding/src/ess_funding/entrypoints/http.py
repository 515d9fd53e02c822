"""The funding service's HTTP API, for the staff of the pilot that runs it.

    GET  /projects/{project_id}/plan      the plan every pilot holds (instructor, decider, operator, admin)
    GET  /agenda                          projects waiting for decisions from two funders or more
    POST /projects/{project_id}/{kind}    record an act: requests, opinions, cofunders,
                                          de-minimis-declarations (instructor); decisions, commitments,
                                          cancellations, recoveries (decider); tranches, disbursements (both)
    GET  /pending-acts                    acts waiting for a second decider
    POST /pending-acts/{id}/approval      the second decider records it (decider, another person)

Refusals: 403 for a token of another pilot or without the role; 422 `wrong_pilot` for an act in another
pilot's name, `invalid` for a body that does not fit the contract, `inconsistent` for an act that
contradicts this pilot's own acts; 409 `rule_breach` with the verdicts (rule, window, figures) for an act
that would breach a rule across funders. Send `"acknowledge": ["over_funding"]` (or `double_funding`) to
go through it: the act waits (202) until a second decider of the pilot approves it, then it is recorded
with a signed acknowledgement naming both; the plan of every pilot still flags the breach.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from ess_contracts.intake import TITLE_FIELD
from ess_contracts.types import PILOTS
from ess_core.auth import Principal, require_service_pilot
from ess_core.service.http import refusal_responses
from ess_core.service.json_schema import request_body
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.sealed_reads import SealedReads
from ess_funding.adapters.reading import agenda, plan_document
from ess_funding.config import FundingConfig
from ess_funding.domain.acts import ACKNOWLEDGEABLE, KINDS, Act, ActKind, parse_act
from ess_funding.entrypoints.examples import EXAMPLES
from ess_funding.service_layer.approvals import Held, pending
from ess_funding.service_layer.recording import Recorded, Recorder

ProjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
READERS = ("instructor", "decider", "operator", "admin")


def funding_router(runtime: ServiceRuntime) -> APIRouter:
    pilot = runtime.settings.pilot
    recorder = Recorder(runtime, FundingConfig.from_env())
    router = APIRouter(tags=["funding"])
    reader = require_service_pilot(pilot, *READERS)

    @router.get("/projects/{project_id}/plan")
    async def plan(project_id: ProjectId, _: Annotated[Principal, Depends(reader)]) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            document = await plan_document(conn, project_id)
        if document is None:
            raise HTTPException(
                404, {"error": "not_found", "reason": f"no funding plan for {project_id} here"}
            )
        return document

    @router.get("/agenda")
    async def committee_agenda(principal: Annotated[Principal, Depends(reader)]) -> dict[str, Any]:
        """Projects waiting for two funders or more; each title opened for staff (not operators)."""
        async with runtime.engine.connect() as conn:
            entries = await agenda(conn)
        texts = SealedReads(runtime, principal)
        for entry in entries:
            entry["title"] = await texts.open(entry["title"], entry["project_id"], TITLE_FIELD)
        await texts.log()
        return {"projects": entries}

    for kind in KINDS:
        _act_route(router, kind, pilot, recorder)
    _approval_routes(router, pilot, recorder)
    return router


def _act_route(router: APIRouter, kind: ActKind, pilot: str, recorder: Recorder) -> None:
    actor = require_service_pilot(pilot, *kind.roles, cross_pilot_read_roles=())

    async def record(
        project_id: ProjectId,
        principal: Annotated[Principal, Depends(actor)],
        body: Annotated[dict[str, Any], Body()],
    ) -> JSONResponse:
        act = parse_act(kind, body, pilot)  # a refusal is answered by the harness (ess_core.refusals)
        recorded = await recorder.record(project_id, act, principal.subject)
        if isinstance(recorded, Held):
            return JSONResponse(status_code=202, content=held_answer(project_id, recorded, pilot))
        return JSONResponse(status_code=201, content=recorded_answer(project_id, act, recorded))

    router.add_api_route(
        f"/projects/{{project_id}}/{kind.path}",
        record,
        methods=["POST"],
        status_code=201,
        name=f"record_{kind.path.replace('-', '_')}",
        summary=f"Record a {kind.label} ({', '.join(kind.roles)})",
        responses={202: {"description": HELD}, **refusal_responses(401, 403, 404, 409)},
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema(kind)}}}
        },
    )


HELD = "the act goes through a breach it acknowledges: it waits for a second decider of this pilot"


def recorded_answer(project_id: str, act: Act, recorded: Recorded) -> dict[str, Any]:
    event = recorded.event
    acknowledgement = recorded.acknowledgement
    return {
        "event_id": event.id,
        "pilot": event.pilot,
        "project_id": project_id,
        "kind": act.kind.path,
        "act_id": act.act_id,
        "sequence": event.sequence,
        "act": event.payload.model_dump(mode="json"),
        "acknowledged": [v.as_dict() for v in recorded.acknowledged],
        "acknowledgement": acknowledgement.payload.model_dump(mode="json") if acknowledgement else None,
        "verdicts": [v.as_dict() for v in recorded.verdicts],
        "undertaking_verdicts": [v.as_dict() for v in recorded.undertaking],
    }


def held_answer(project_id: str, held: Held, pilot: str) -> dict[str, Any]:
    return {
        "pending_id": held.pending_id,
        "project_id": project_id,
        "kind": held.act.kind.path,
        "act": held.act.payload.model_dump(mode="json"),
        "acknowledge": sorted(held.act.acknowledge),
        "awaiting": f"a second decider of {pilot}: POST /pending-acts/{held.pending_id}/approval",
        "verdicts": [v.as_dict() for v in held.verdicts],
    }


def _approval_routes(router: APIRouter, pilot: str, recorder: Recorder) -> None:
    reader = require_service_pilot(pilot, *READERS)
    decider = require_service_pilot(pilot, "decider", cross_pilot_read_roles=())

    @router.get("/pending-acts", summary="Acts waiting for a second decider")
    async def waiting(_: Annotated[Principal, Depends(reader)]) -> dict[str, Any]:
        async with recorder.runtime.engine.connect() as conn:
            return {"pending": await pending(conn)}

    @router.post(
        "/pending-acts/{pending_id}/approval",
        status_code=201,
        summary="Approve a held act as the second decider (decider)",
        responses=refusal_responses(401, 403, 404, 409),
    )
    async def approve(
        pending_id: Annotated[str, Path(pattern=r"^pa-[0-9a-f]{32}$")],
        principal: Annotated[Principal, Depends(decider)],
    ) -> JSONResponse:
        project_id, act, recorded = await recorder.approve(pending_id, principal.subject)
        return JSONResponse(status_code=201, content=recorded_answer(project_id, act, recorded))


def body_schema(kind: ActKind) -> dict[str, Any]:
    """The act's body as the OpenAPI document shows it: its event payload's fields (without `type`; the
    act's own id optional, the service mints it), `pilot` and `acknowledge`. The body is validated by
    `parse_act`, which names the field and the rule; the schema tells clients and generators the fields."""
    schema = request_body(kind.payload, ("type", "rules_version"), optional=(kind.id_field or "",))
    schema["examples"] = [EXAMPLES[kind.path]]
    schema["properties"]["pilot"] = {
        "type": "string",
        "enum": list(PILOTS),
        "description": "this service's pilot, if given",
    }
    schema["properties"]["acknowledge"] = {
        "type": "array",
        "items": {"type": "string", "enum": sorted(ACKNOWLEDGEABLE)},
        "uniqueItems": True,
        "description": "rules a decider knowingly goes through (never de minimis)",
    }
    return schema
