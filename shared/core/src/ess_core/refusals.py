"""Why a service refuses a request: one hierarchy for every service, answered the same way by the harness
(`{"detail": {"error": ..., "reason": ..., ...}}` with the refusal's status; `service/http.py`).

`error` is a stable word for programs, `reason` one sentence for people that names what is wrong, and any
details (the field, the rule, the figures) travel beside them. Each service derives its own kinds."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    status = 422
    error = "refused"

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

    def detail(self) -> Any:
        """The body's `detail`: JSON-ready."""
        return {"error": self.error, "reason": self.reason, **self.details}


class Invalid(Refused):
    """The input breaks a rule of its contract: `reason` names the field and the rule."""

    error = "invalid"


class Forbidden(Refused):
    status = 403
    error = "forbidden"


class NotFound(Refused):
    status = 404
    error = "not_found"


class Gone(Refused):
    """What was addressed existed and no longer answers (an expired or revoked link)."""

    status = 410
    error = "gone"


class Conflict(Refused):
    status = 409
    error = "conflict"


class Concurrent(Conflict):
    """Another act on the same record committed first, attempt after attempt (`service/unit_of_work.py`)."""

    def __init__(self) -> None:
        super().__init__("another act on the same record was written at the same time; retry")
