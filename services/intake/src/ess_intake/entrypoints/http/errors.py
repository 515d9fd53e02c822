"""One shape for every refusal: 422s list each failing field with its rule, as FastAPI does but without
echoing the input (it may be megabytes of file, or text that cannot be encoded back); other refusals
read `{"detail": {"error": ..., "reason": ...}}` like the access control's."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ess_intake.domain.attachments import MAX_TOTAL_ATTACHMENT_BYTES
from ess_intake.domain.errors import field_errors

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IntakeRoute(APIRoute):
    """Routes whose validation errors are cleaned (the harness answers the domain's refusals)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return JSONResponse(status_code=422, content={"detail": field_errors(error.errors())})

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
    410: {"description": "a private link that expired, was revoked or was replaced (message in French)"},
    422: {"description": "each failing field with its rule"},
}
