"""Why an act is refused, in the domain's words; the HTTP layer maps each kind to its status."""

from __future__ import annotations


class IntakeError(Exception):
    """`code` is a stable machine word, `reason` a sentence for the person."""

    status = 400
    code = "refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(IntakeError):
    status = 404
    code = "not_found"


class Forbidden(IntakeError):
    status = 403
    code = "forbidden"


class InvalidState(IntakeError):
    """The act does not fit the project's current status (closed, withdrawn, a request pending)."""

    status = 409
    code = "invalid_state"


class Duplicate(IntakeError):
    """An open project with the same SIRET and normalised title exists."""

    status = 409
    code = "duplicate"

    def __init__(self, existing_project_id: str) -> None:
        super().__init__(f"an open project with this SIRET and title exists: {existing_project_id}")
        self.existing_project_id = existing_project_id


class Conflict(IntakeError):
    status = 409
    code = "conflict"


class Invalid(IntakeError):
    """A rule that needs stored state (an attachment to remove, a network to answer for), reported like
    a validation error: the field's location and the rule."""

    status = 422
    code = "invalid"

    def __init__(self, loc: tuple[str | int, ...], rule: str, kind: str = "value_error") -> None:
        super().__init__(rule)
        self.loc = loc
        self.kind = kind


class IdempotencyKeyReused(IntakeError):
    """The key was used before with a different request body (IETF draft: 422)."""

    status = 422
    code = "idempotency_key_reused"
