"""From an event to the bytes on the wire and back, with the signature checked before anything else.

Decoding order matters: verify the signature over the exact bytes received, then check the type and
version named by the subject and headers (unknown ones are parked for a later upgrade), then upcast an
older version, then validate, then check that the subject and the envelope tell the same story.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from ess_contracts.authority import refusal
from ess_contracts.canonical import canonical_bytes
from ess_contracts.catalogue import current_version, upcast
from ess_contracts.event import Event
from ess_contracts.key_history import event_hash
from ess_contracts.sealing import UPCAST_CONTEXT
from ess_contracts.signing import SignatureInvalid, Signer, TrustStore
from ess_contracts.subjects import BadSubject, parse_subject

MSG_ID = "Nats-Msg-Id"
KEY = "Ess-Key"
SIGNATURE = "Ess-Sig"
VERSION = "Ess-Version"


@dataclass(frozen=True, slots=True)
class WireMessage:
    subject: str
    data: bytes
    headers: dict[str, str]


class Rejected(Exception):
    """A message that cannot be applied now. `park` keeps it for an upgrade; otherwise a dead letter."""

    def __init__(self, reason: str, *, park: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.park = park


def encode(event: Event, signer: Signer) -> WireMessage:
    data = canonical_bytes(event)
    headers = {
        MSG_ID: event.id,
        KEY: signer.public_key,
        SIGNATURE: signer.sign(data),
        VERSION: str(event.version),
    }
    return WireMessage(event.subject, data, headers)


def encode_journal(
    events: Sequence[Event], signer: Signer, journal: int, previous: str | None
) -> list[tuple[Event, WireMessage]]:
    """Number events after the service's journal entry `journal` (whose signed bytes hash to `previous`),
    chain each to the one before, sign: what a retired key's end can later vouch for (key_history)."""
    signed = []
    for event in events:
        journal += 1
        event = event.model_copy(update={"journal": journal, "previous": previous})
        wire = encode(event, signer)
        previous = event_hash(wire.data)
        signed.append((event, wire))
    return signed


def decode(subject: str, data: bytes, headers: dict[str, str] | None, trust: TrustStore) -> Event:
    headers = headers or {}
    try:
        parts = parse_subject(subject)
    except BadSubject as error:
        raise Rejected(str(error)) from error
    key, signature = headers.get(KEY), headers.get(SIGNATURE)
    if not key or not signature:
        raise Rejected(f"unsigned: headers {KEY} and {SIGNATURE} are required")
    try:
        trust.verify(parts.pilot, key, data, signature)
    except SignatureInvalid as error:
        raise Rejected(f"bad signature: {error}") from error
    event = _parse(parts.event_type, headers.get(VERSION, ""), data)
    if (event.pilot, event.service, event.aggregate, event.aggregate_id, event.type) != parts:
        raise Rejected(f"subject {subject!r} does not match the envelope ({event.subject!r})")
    not_allowed = refusal(event)  # signed by whom it says, but had it the right to speak?
    if not_allowed is not None:
        raise Rejected(not_allowed)
    ended = trust.history.refusal(key, event, data)  # and was its key still good for this event?
    if ended is not None:
        raise Rejected(ended[0], park=ended[1])
    return event


def _parse(event_type: str, version_header: str, data: bytes) -> Event:
    current = current_version(event_type)
    if current is None:
        raise Rejected(f"unknown event type {event_type!r}", park=True)
    if not version_header.isdigit():
        raise Rejected(f"header {VERSION} missing or not a number")
    version = int(version_header)
    if version > current:
        raise Rejected(f"{event_type} version {version} is newer than this catalogue ({current})", park=True)
    try:
        if version == current:
            return Event.model_validate_json(data)
        raw = json.loads(data)
        if raw.get("version") != version:
            raise Rejected(f"header {VERSION}={version} but envelope version={raw.get('version')}")
        try:
            raw["payload"] = upcast(event_type, version, raw["payload"])
        except KeyError as error:
            raise Rejected(f"no upcaster for {event_type} version {error}", park=True) from error
        raw["version"] = current
        return Event.model_validate(raw, context=UPCAST_CONTEXT)
    except ValidationError as error:
        raise Rejected(f"malformed: {_describe(error)}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise Rejected(f"malformed: {error}") from error


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "event"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
