"""Request limits, enforced by the harness in every service before anything reads a token: the body's
size, the headers' size, and the time a body may take to arrive. A request past a limit is refused
without being read, whoever sends it.

- **Body**: `max_body_bytes` for every route (JSON acts and reads; a route that carries files declares its
  own, larger, limit, as intake's do). FastAPI's body limit answers 413 before reading when
  `Content-Length` is too large, and as soon as a chunked body passes the limit; FastAPI reads the body
  before it resolves the token, so the limit applies with or without one.
- **Headers**: a request whose headers exceed `max_header_bytes` is refused with 431; uvicorn (h11)
  buffers no more than that of headers still arriving (400, connection closed).
- **Slow body**: the whole body must arrive within `body_timeout_s` of its first read; past it the
  request is refused with 408 and its connection released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = {
    "max_body_bytes": "ESS_HTTP_MAX_BODY_BYTES",
    "max_header_bytes": "ESS_HTTP_MAX_HEADER_BYTES",
    "body_timeout_s": "ESS_HTTP_BODY_TIMEOUT_S",
}


@dataclass(frozen=True)
class HttpLimits:
    max_body_bytes: int = 256 * 1024
    max_header_bytes: int = 16 * 1024
    body_timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpLimits:
        """The defaults, each replaced by its environment variable when set (`ENV`)."""
        given = {field: env[name] for field, name in ENV.items() if env.get(name)}
        try:
            return cls(
                max_body_bytes=int(given.get("max_body_bytes", cls.max_body_bytes)),
                max_header_bytes=int(given.get("max_header_bytes", cls.max_header_bytes)),
                body_timeout_s=float(given.get("body_timeout_s", cls.body_timeout_s)),
            )
        except ValueError as exc:
            names = ", ".join(ENV[field] for field in given)
            raise SystemExit(f"HTTP limits: {names} must be numbers ({exc})") from None


class RequestLimits:
    """Refuses a request whose headers are too large (431), or whose body has not fully arrived
    `body_timeout_s` after the first read of it (408)."""

    def __init__(self, app: ASGIApp, limits: HttpLimits) -> None:
        self.app = app
        self.max_header_bytes = limits.max_header_bytes
        self.seconds = limits.body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > self.max_header_bytes:
            too_large = PlainTextResponse("Request Header Fields Too Large", status_code=431)
            await too_large(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:  # after the body: waiting for a disconnect is no slow body
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                reason = f"the request body did not arrive within {self.seconds:g} s"
                raise HTTPException(408, reason) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
