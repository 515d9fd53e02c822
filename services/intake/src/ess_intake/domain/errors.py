"""Why intake refuses an act, in the domain's words: kinds of the core's refusals (`ess_core.refusals`),
each with its status; the harness answers them all the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ess_core import refusals
from ess_core.refusals import Conflict, Forbidden, Gone, NotFound, Refused

__all__ = [
    "Conflict",
    "Duplicate",
    "Forbidden",
    "Gone",
    "IdempotencyKeyReused",
    "Invalid",
    "InvalidState",
    "NotFound",
]


class InvalidState(Conflict):
    """The act does not fit the project's current status (closed, withdrawn, a request pending)."""

    error = "invalid_state"


class Duplicate(Conflict):
    """An open project with the same SIRET and normalised title exists."""

    error = "duplicate"

    def __init__(self, existing_project_id: str) -> None:
        super().__init__(
            f"an open project with this SIRET and title exists: {existing_project_id}",
            existing_project_id=existing_project_id,
        )


class Invalid(refusals.Invalid):
    """A rule that needs stored state (an attachment to remove, a network to answer for), reported like
    a validation error: the field's location and the rule."""

    def __init__(self, loc: tuple[str | int, ...], rule: str, kind: str = "value_error") -> None:
        super().__init__(rule)
        self.loc = loc
        self.kind = kind

    def detail(self) -> object:
        return field_errors([{"loc": self.loc, "msg": self.reason, "type": self.kind}])


class IdempotencyKeyReused(Refused):
    """The key was used before with a different request body (IETF draft: 422)."""

    error = "idempotency_key_reused"


def field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """422s list each failing field with its rule, as FastAPI does, without echoing the input."""
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
