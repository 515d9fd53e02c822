"""HTTP routes for the acts: thin, each builds its payload and calls one act."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from ess_contracts import evaluation as ev
from ess_contracts.types import Token
from ess_core.auth import Principal, require_service_pilot
from ess_core.refusals import Invalid
from ess_core.service.runtime import ServiceRuntime
from ess_evaluation.entrypoints.schemas import MeasureRequest, Recorded, ReviewRequest, StrategyDocument
from ess_evaluation.service_layer.acts import Acts, MeasureDraft, ReviewDraft


def invalid(error: ValidationError) -> Invalid:
    """A payload the act builds that its contract refuses: the first field and its rule."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return Invalid(f"{where}: {first['msg']}".lstrip(": "))


def acts_router(runtime: ServiceRuntime) -> APIRouter:
    pilot = runtime.settings.pilot
    acts = Acts(runtime, pilot)
    router = APIRouter(tags=["evaluation acts"])

    def allowed(*roles: str) -> Any:
        return Depends(require_service_pilot(pilot, *roles))

    @router.post("/strategy", status_code=202, response_model=Recorded)
    async def define_strategy(
        document: StrategyDocument, _: Annotated[Principal, allowed("admin")]
    ) -> Recorded:
        """Define (or redefine) actions and indicators; each travels as its own event."""
        try:
            events = await acts.define_strategy(*document.payloads())
        except ValidationError as e:
            raise invalid(e) from e
        return Recorded(event_ids=[e.id for e in events])

    @router.post("/indicators/{code}/measures", status_code=202, response_model=Recorded)
    async def record_measure(
        code: Token, body: MeasureRequest, _: Annotated[Principal, allowed("instructor", "decider", "admin")]
    ) -> Recorded:
        """Record a measure of a measured indicator; only a lead pilot of its action may (else 403)."""
        try:
            event = await acts.record_measure(code, MeasureDraft(**body.model_dump()))
        except ValidationError as e:
            raise invalid(e) from e
        return Recorded(event_ids=[event.id])

    @router.post("/projects/{project_id}/reviews", status_code=202, response_model=Recorded)
    async def record_review(
        project_id: Token,
        body: ReviewRequest,
        _: Annotated[Principal, allowed("instructor", "admin")],
    ) -> Recorded:
        """Record a funded project's follow-up review at 12, 24 or 36 months."""
        event = await acts.record_review(project_id, ReviewDraft(**body.model_dump()))
        return Recorded(event_ids=[event.id])

    @router.post("/sessions", status_code=202, response_model=Recorded)
    async def record_session(
        body: ev.SessionRecorded,
        _: Annotated[Principal, allowed("decider", "admin")],
        session_id: Annotated[Token | None, Query(description="default: a new id")] = None,
    ) -> Recorded:
        """Record a steering session the pilot attended, with its decisions and recommendations per action."""
        event = await acts.record_session(session_id, body)
        return Recorded(event_ids=[event.id])

    @router.post("/reports/{year}", status_code=202)
    async def publish_report(
        year: int, _: Annotated[Principal, allowed("admin")], as_of: date | None = None
    ) -> dict[str, Any]:
        """Build the year's report from this service's view and publish its digests as an event."""
        try:
            published = await acts.publish_report(year, as_of, runtime.views)
        except ValidationError as e:
            raise invalid(e) from e
        return {"event_id": published.event.id, **published.payload.model_dump(mode="json")}

    return router
