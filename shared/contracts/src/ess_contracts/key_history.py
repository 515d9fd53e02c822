"""When a signing key ends (retired or revoked), what it may still have signed.

A date cannot bound a key: `occurred_at` is written by the signer, so whoever holds a stolen copy writes
any date. The boundary is what the key's owner vouches for, signed with its next key: for each of its
services, the journal numbers signed under the old key and the hash of the last one. Every event carries
its service's journal number and the hash of the journal event before it (a chain), so from that last
hash the genuine events are found one by one, back to the first: a forged event with a number the service
used, or one past the last, is never on the chain. The verdict depends on the set of events read, never
on the order they came in (docs/decisions/0002-key-lifetime.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ess_contracts.canonical import canonical_bytes
from ess_contracts.types import Pilot, ServiceName

if TYPE_CHECKING:
    from ess_contracts.event import Event

HASH_PREFIX = 16  # bytes of SHA-256 kept per journal slot: a forger would need a 128-bit second preimage
HEX = frozenset("0123456789abcdef")
KEY_HEADER = "Ess-Key"  # codec.KEY, repeated here: the codec imports this module


class JournalMark(BaseModel):
    """What one service signed under the ended key: journal numbers `first` to `last`, the last being the
    event whose signed bytes hash to `head`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    first: int = Field(ge=1)
    last: int = Field(ge=1)
    head: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the last event's signed bytes")

    @model_validator(mode="after")
    def _ordered(self) -> JournalMark:
        if self.last < self.first:
            raise ValueError(f"last journal {self.last} is before the first {self.first}")
        return self


class KeyEnd(BaseModel):
    """The end of a pilot's signing key, signed by its successor (ess keys rotate | revoke)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    pilot: Pilot
    key: str = Field(pattern=r"^A[A-Z2-7]{55}$", description="the key that ends")
    reason: Literal["retired", "revoked"]
    on: date
    journals: dict[ServiceName, JournalMark] = Field(
        description="per service, what the key signed; a service not named signed nothing under it"
    )
    successor: str = Field(pattern=r"^A[A-Z2-7]{55}$", description="the pilot's next key, which signs this")
    signature: str = ""

    def signed_bytes(self) -> bytes:
        return canonical_bytes(self.model_dump(mode="json", exclude={"signature"}))


def event_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Run:
    """The genuine events of one service under one ended key: one hash prefix per journal slot."""

    end: KeyEnd
    service: str
    mark: JournalMark
    slots: bytearray = field(init=False)
    resolved_from: int = field(init=False)  # the lowest journal number found on the chain so far

    def __post_init__(self) -> None:
        self.slots = bytearray(HASH_PREFIX * (self.mark.last - self.mark.first + 1))
        self.resolved_from = self.mark.last + 1

    def slot(self, journal: int) -> bytes:
        at = (journal - self.mark.first) * HASH_PREFIX
        return bytes(self.slots[at : at + HASH_PREFIX])

    def settle(self, journal: int, digest: bytes) -> None:
        at = (journal - self.mark.first) * HASH_PREFIX
        self.slots[at : at + HASH_PREFIX] = digest[:HASH_PREFIX]
        self.resolved_from = min(self.resolved_from, journal)

    @property
    def complete(self) -> bool:
        return self.resolved_from == self.mark.first

    @property
    def name(self) -> str:
        return f"key {self.end.key[:8]}… ({self.end.reason} on {self.end.on})"


@dataclass(frozen=True)
class Link:
    """What the chain needs of one message: its journal number and its predecessor's hash."""

    journal: int | None
    previous: str | None
    event_id: str | None = None
    key: str = ""
    service: str = ""


class KeyHistory:
    """The ended keys of a trust file and, once `resolve` has read their events, the genuine ones."""

    def __init__(self, ends: Iterable[KeyEnd]) -> None:
        self._links: dict[bytes, Link] = {}
        self.refused_ids: set[str] = set()
        """After `walk`: ids of the messages read under ended keys that none of them vouched for (an
        id that a vouched message also bears is not counted: it names the genuine event)."""
        self.ends = {end.key: end for end in ends}
        self.runs: dict[tuple[str, str], _Run] = {
            (end.key, service): _Run(end, service, mark)
            for end in self.ends.values()
            for service, mark in end.journals.items()
        }

    def subjects(self) -> list[str]:
        """The stream subjects that hold the events of ended keys."""
        return sorted({f"ess.{run.end.pilot}.{run.service}.>" for run in self.runs.values()})

    def resolve(self, messages: Iterable[tuple[bytes, Mapping[str, str]]]) -> list[str]:
        """Walk each ended key's chain back from its vouched head through `messages` (any order, any
        duplicates; others ignored). Returns what stays unresolved, one line per service and key."""
        for data, headers in messages:
            self.note(data, headers)
        return self.walk()

    def note(self, data: bytes, headers: Mapping[str, str]) -> None:
        """Keep what the walk needs of a message signed by an ended key (`resolve` in steps)."""
        key = headers.get(KEY_HEADER)
        if key in self.ends:
            self._links[hashlib.sha256(data).digest()[:HASH_PREFIX]] = _link(data, key)

    def walk(self) -> list[str]:
        links, self.refused_ids = self._links, set()
        missing = []
        for run in self.runs.values():
            self._walk(run, links)
            if not run.complete:
                missing.append(
                    f"{run.end.pilot}.{run.service} under {run.name}: journal {run.mark.first} to "
                    f"{run.resolved_from - 1} not found on the chain"
                )
        vouched = {str(link.event_id) for digest, link in links.items() if self._vouches(digest, link)}
        self.refused_ids = {str(link.event_id) for link in links.values() if link.event_id} - vouched
        self._links = {}
        return missing

    def _vouches(self, digest: bytes, link: Link) -> bool:
        run = self.runs.get((link.key, link.service))
        if run is None or link.journal is None or not run.resolved_from <= link.journal <= run.mark.last:
            return False
        return run.slot(link.journal) == digest

    @staticmethod
    def _walk(run: _Run, links: Mapping[bytes, Link]) -> None:
        journal, digest = run.mark.last, bytes.fromhex(run.mark.head)
        while journal >= run.mark.first:
            link = links.get(digest[:HASH_PREFIX])
            if link is None or link.journal != journal:
                return
            run.settle(journal, digest)
            if link.previous is None:
                return
            journal, digest = journal - 1, bytes.fromhex(link.previous)

    def refusal(self, key: str, event: Event, data: bytes) -> tuple[str, bool] | None:
        """Why an event under an ended key is not accepted, and whether to park it (its slot not yet
        read back); None when the key has not ended or the event is one it vouched for."""
        end = self.ends.get(key)
        if end is None:
            return None
        run = self.runs.get((key, event.service))
        name = f"key {key[:8]}… ({end.reason} on {end.on})"
        if run is None:
            return f"{name} signed nothing of {event.pilot}.{event.service}", False
        journal = event.journal
        if journal is None:
            return f"{name}: the event has no journal number, so the key's end cannot vouch for it", False
        if journal > run.mark.last:
            return (
                f"signed under {name} after its last vouched journal: {event.pilot}.{event.service} "
                f"journal {journal} > {run.mark.last}"
            ), False
        if journal < run.mark.first:
            return f"signed under {name} before its first journal {run.mark.first} (journal {journal})", False
        if journal < run.resolved_from:
            return f"waiting for {event.pilot}.{event.service}'s journal under {name} back to {journal}", True
        if run.slot(journal) != hashlib.sha256(data).digest()[:HASH_PREFIX]:
            return (
                f"not the event {name} vouched for: {event.pilot}.{event.service} journal {journal} "
                "is another event"
            ), False
        return None


def _link(data: bytes, key: str) -> Link:
    """Read without validating the event: the chain's hashes, not the parse, say which bytes are genuine."""
    try:
        raw = json.loads(data)
        fields = [raw.get(name) for name in ("journal", "previous", "id", "service")]
    except (ValueError, AttributeError):
        return Link(None, None, key=key)
    journal, previous, event_id, service = (f if isinstance(f, str | int) else None for f in fields)
    hashed = isinstance(previous, str) and len(previous) == 64 and all(c in HEX for c in previous)
    return Link(
        journal if isinstance(journal, int) and not isinstance(journal, bool) else None,
        previous if hashed else None,  # type: ignore[arg-type]
        str(event_id) if event_id else None,
        key,
        str(service or ""),
    )
