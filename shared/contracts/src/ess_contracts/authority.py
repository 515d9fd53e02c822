"""Who may speak for which aggregate. A valid signature proves who spoke; this says whether they had the
right to, and every fold asks it when it decodes an event (codec.decode), whatever the order of arrival.

Two kinds of aggregates:

- **Shared** (`SHARED_KINDS`): a project is created by one pilot's intake and every pilot acts on it. Its
  id names its owner, `<pilot>-<uuid7>` (`owned_id`): the pilot is the prefix, the kind names the service
  (a project belongs to its pilot's intake). Only the owner emits the project's own events (submitted,
  qualified, withdrawn...). Other services record their *own* acts about it (`OWN_ACTS`: a funder's
  request, decision or payment, a pilot's follow-up review); every view keys those rows by the issuing
  pilot, so no pilot's act can touch another's. Where two creations of one id compete, the id decides the
  owner, never arrival: a forged creation is refused before it reaches a view.
- **The issuer's own** (every other kind: networks, the evaluation's actions, indicators, sessions and
  reports, checkpoints, probes): the subject `ess.<pilot>.<service>.<kind>.<id>` names the owner, since
  the broker lets a pilot publish under its own prefix only and the views key those rows by pilot.
  A checkpoint must report on its issuer's own service; a data key is destroyed by its author only.

An event that breaks these rules is dead-lettered by every service with the reason `not the owner of
<kind> <id>: ...`; it changes no view, and every service counts it alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import uuid_utils

from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.privacy import DataKeyDestroyed
from ess_contracts.types import PILOTS, AggregateKind, Pilot, ServiceName

if TYPE_CHECKING:
    from ess_contracts.event import Event

SHARED_KINDS: dict[AggregateKind, ServiceName] = {"project": "intake"}
"""Aggregates every pilot acts on, and the service that owns each (in the pilot its id names)."""

OWN_ACTS: frozenset[str] = frozenset(
    {t for t, cls in PAYLOAD_TYPES.items() if cls.AGGREGATE == "project" and cls.SERVICE != "intake"}
)
"""Events any pilot's service records about a shared aggregate it does not own: its own acts."""


def owned_id(pilot: Pilot) -> str:
    """A new id for a shared aggregate owned by `pilot`: `region-0193b2c4-...`."""
    return f"{pilot}-{uuid_utils.uuid7()}"


def owner_of(aggregate_id: str) -> Pilot | None:
    """The pilot a shared aggregate's id names, or None when it names none."""
    prefix = aggregate_id.split("-", 1)[0]
    return next((pilot for pilot in PILOTS if pilot == prefix and len(aggregate_id) > len(prefix) + 1), None)


def who_may_emit(event_type: str) -> str:
    """The rule for one event type, in a sentence (the AsyncAPI documents and docs/ print it)."""
    cls = PAYLOAD_TYPES[event_type]
    kind, service = cls.AGGREGATE, cls.SERVICE
    if kind in SHARED_KINDS and event_type in OWN_ACTS:
        return f"any pilot's {service} service, about any {kind}: its own act, kept apart by pilot"
    if kind in SHARED_KINDS:
        return f"only the {kind}'s owner: the {SHARED_KINDS[kind]} service of the pilot its id names"
    if event_type == "project_data_key_destroyed":
        return "any service of the key's pilot (its id's prefix), about the project its texts belong to"
    if event_type == "checkpoint_recorded":
        return "any pilot's service, about itself: its reporting_service is `<its pilot>-<its service>`"
    issuer = "any pilot's service" if service == "ops" else f"any pilot's {service} service"
    return f"{issuer}, about its own {kind} (each pilot's {kind}s are its own)"


def refusal(event: Event) -> str | None:
    """Why `event`'s issuer may not speak for its aggregate, or None when it may."""
    kind, aggregate_id = event.aggregate, event.aggregate_id
    if kind in SHARED_KINDS:
        owner = owner_of(aggregate_id)
        if owner is None:
            return f"not the owner of {kind} {aggregate_id}: the id names no pilot (<pilot>-<uuid>)"
        service = SHARED_KINDS[kind]
        if event.type not in OWN_ACTS and (event.pilot, event.service) != (owner, service):
            return (
                f"not the owner of {kind} {aggregate_id}: it is {owner}'s {service}'s; "
                f"{event.pilot}'s {event.service} may not emit {event.type}"
            )
    payload = event.payload
    if isinstance(payload, DataKeyDestroyed) and not payload.key.startswith(f"{event.pilot}-"):
        return f"not the owner of data key {payload.key}: only its author destroys it, not {event.pilot}"
    if isinstance(payload, CheckpointRecorded):
        own = f"{event.pilot}-{aggregate_id}"
        if payload.reporting_service != own:
            claimed = payload.reporting_service
            return f"not the owner of checkpoint {claimed}: {event.pilot} reports on {own} only"
    return None
