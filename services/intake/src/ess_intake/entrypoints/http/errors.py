"""One shape for every refusal: 422s list each failing field with its rule, as FastAPI does but without
echoing the input (it may be megabytes of file, or text that cannot be encoded back); other refusals
read `{"detail": {"error": ..., "reason": ...}}` like the access control's."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ess_intake.domain.attachments import MAX_TOTAL_ATTACHMENT_BYTES
from ess_intake.domain.errors import Duplicate, IntakeError, Invalid

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [_field_error(e) for e in errors]


def _field_error(error: Any) -> dict[str, Any]:
    loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
    message = str(error.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return {
        "loc": loc,
        "field": ".".join(str(p) for p in loc[1:]),
        "msg": message,
        "type": str(error.get("type")),
    }


def refusal(error: IntakeError) -> JSONResponse:
    if isinstance(error, Invalid):
        detail: Any = field_errors([{"loc": error.loc, "msg": error.reason, "type": error.kind}])
        return JSONResponse(status_code=422, content={"detail": detail})
    body: dict[str, Any] = {"error": error.code, "reason": error.reason}
    if isinstance(error, Duplicate):
        body["existing_project_id"] = error.existing_project_id
    return JSONResponse(status_code=error.status, content={"detail": body})


class IntakeRoute(APIRoute):
    """Routes whose handlers may raise the domain's errors and whose validation errors are cleaned."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return JSONResponse(status_code=422, content={"detail": field_errors(error.errors())})
            except IntakeError as error:
                return refusal(error)

        return route


FILE_BODY = MAX_TOTAL_ATTACHMENT_BYTES * 4 // 3 + 1024 * 1024
"""Largest body of a request that carries files: the files in base64, and a megabyte for the rest."""
SMALL_BODY = 64 * 1024
"""Largest body of any other request (413 beyond)."""

REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {"description": "request body too large"},
    403: {"description": "token of another pilot, or without a role this route accepts"},
    404: {"description": "no such project (or a wrong private link)"},
    409: {"description": "the act does not fit the project's state, or a duplicate"},
    422: {"description": "each failing field with its rule"},
}
