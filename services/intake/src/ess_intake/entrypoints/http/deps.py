"""What routes share: access control bound to this service's pilot, the acting person, common params."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path

from ess_core.auth import Principal, require_service_pilot
from ess_intake.domain.commands import Actor

TOKEN = r"^[A-Za-z0-9_-]{1,64}$"
ProjectId = Annotated[str, Path(pattern=TOKEN, description="the project's id")]
NetworkId = Annotated[str, Path(pattern=TOKEN, description="the network's id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="a retry with the same key gets the first answer, never a second project",
    ),
]


def actor(principal: Principal) -> Actor:
    return Actor(subject=principal.subject, roles=principal.roles, pilot=principal.pilot)


def who(pilot: str, *roles: str, personal: bool = True, cross_pilot: tuple[str, ...] = ()) -> Any:
    """Tokens of this service's pilot with one of `roles`. Routes that show personal data refuse every
    other pilot, operators included, but for the reading roles named in `cross_pilot` (another pilot's
    instructor reads a file it co-instructs; every such read is access-logged); others let an operator of
    another pilot read, as the harness does."""
    if personal:
        return Depends(require_service_pilot(pilot, *roles, cross_pilot_read_roles=cross_pilot))
    return Depends(require_service_pilot(pilot, *roles))
