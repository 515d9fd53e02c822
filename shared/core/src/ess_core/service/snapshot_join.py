"""Joining from a snapshot (docs/snapshots.md): a new or restored service loads another pilot's snapshot of
its views and bookkeeping at an agreed position, recomputes every digest from the loaded rows, and keeps
it only if services of at least two pilots other than the snapshot's producer signed those very digests at
that position on the stream. Then its consumer starts after the position: only the tail is replayed.

The producer is not trusted: a changed row, a future event marked as applied, a parked event dropped
each change a digest nobody else signed, and the snapshot is refused with the reason."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.codec import Rejected, decode
from ess_contracts.event import Event
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.signing import TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.bookkeeping import BOOKKEEPING
from ess_core.messaging.db import upsert
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.digest_load import LoadHashing
from ess_core.messaging.digests import view_digest
from ess_core.messaging.reader import read_stream
from ess_core.messaging.schema import applied, consumer_position, digest_dirty, digest_row, digest_state
from ess_core.messaging.view_idiom import View
from ess_core.service.agreed import snapshot_tables
from ess_core.service.checkpoint_comparison import CHECKPOINTS
from ess_core.snapshots.format import SnapshotHeader, SnapshotRefused, load_snapshot

VOUCHING_PILOTS = 2
"""Pilots other than the producer whose services must have signed the snapshot's digests."""
SIGNING_WINDOW = 10
"""Agreed intervals after a position within which its checkpoints are looked for on the stream."""


class SnapshotSource(Protocol):
    """Where snapshots come from: another pilot's service (`GET /snapshots`), or a file."""

    @property
    def pilot(self) -> str: ...

    async def positions(self) -> list[int]: ...

    async def fetch(self, position: int, into: Path) -> None: ...


@dataclass(frozen=True)
class HttpSnapshotSource:
    pilot: str
    base_url: str
    token: str

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=60.0)

    async def positions(self) -> list[int]:
        async with self._client() as client:
            answer = await client.get("/snapshots")
            answer.raise_for_status()
            return sorted(int(item["position"]) for item in answer.json())

    async def fetch(self, position: int, into: Path) -> None:
        async with self._client() as client, client.stream("GET", f"/snapshots/{position}") as answer:
            answer.raise_for_status()
            with into.open("wb") as out:
                async for chunk in answer.aiter_bytes():
                    out.write(chunk)


@dataclass(frozen=True)
class Digests:
    """What a snapshot's rows hash to, as a checkpoint reports it."""

    view: str
    own: str | None
    bookkeeping: str
    applied_events: int

    def signed_by(self, figures: CheckpointRecorded) -> bool:
        return (
            figures.view_digest == self.view
            and figures.bookkeeping_digest == self.bookkeeping
            and figures.applied_events == self.applied_events
        )


@dataclass(frozen=True)
class Joined:
    position: int
    applied_events: int
    rows: int
    vouched_by: list[str]
    """The services (`pilot-service`) whose checkpoints at the position signed these digests."""


class JoinRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Joiner:
    """Everything a service's join needs: its database, the stream, its trust, its views."""

    engine: AsyncEngine
    js: JetStreamContext
    trust: TrustStore
    views: Sequence[View]  # shared views, compared by every service
    own_views: Sequence[View]  # those only its kind holds (compared among services of that kind)
    pilot: str
    service: str
    every: int  # the federation's agreed interval
    ledger: DigestLedger  # the service's: the rows loaded are hashed into it

    async def join(self, source: SnapshotSource) -> Joined:
        """Load the newest snapshot of `source` that two other pilots vouch for; refuse with the reason."""
        position, vouchers = await self._position(source)
        with tempfile.TemporaryDirectory(prefix="ess-snapshot-") as folder:
            path = Path(folder) / "snapshot.ndjson.gz"
            await source.fetch(position, path)
            async with self.engine.begin() as conn:
                header = await self._load(conn, path, position)
                digests = await self._digests(conn, header)
                vouched = self._vouched(digests, vouchers, source.pilot, position)
                mark = {"consumer": "view", "stream_seq": position, "applied_count": header.applied_events}
                await upsert(conn, consumer_position, [mark], ["consumer"])
        return Joined(position, header.applied_events, sum(header.tables.values()), vouched)

    async def _position(self, source: SnapshotSource) -> tuple[int, list[Event]]:
        """The newest position the source has a snapshot of and two other pilots signed at, with the
        checkpoints signed there."""
        positions = await source.positions()
        if not positions:
            raise JoinRefused(f"{source.pilot} offers no snapshot")
        for position in sorted(positions, reverse=True):
            signed = await agreed_checkpoints(self.js, self.trust, position, self.every)
            if len({e.pilot for e in signed if e.pilot != source.pilot}) >= VOUCHING_PILOTS:
                return position, signed
        raise JoinRefused(
            f"no snapshot of {source.pilot} (positions {positions}) is at a position where services of "
            f"{VOUCHING_PILOTS} other pilots signed a checkpoint"
        )

    async def _load(self, conn: AsyncConnection, path: Path, position: int) -> SnapshotHeader:
        held = await conn.scalar(select(func.count()).select_from(applied))
        if held:
            raise JoinRefused(
                f"this database already holds {held} applied events: a snapshot fills an empty one"
            )
        await self.ledger.suspend(conn)
        tables = snapshot_tables([*self.views, *self.own_views])
        for kept in (digest_state, digest_row, digest_dirty):  # hashed anew from the rows loaded
            await conn.execute(delete(kept).where(kept.c.table_name.in_([t.name for t in tables])))
        hashing = LoadHashing(self.ledger, conn, tables)
        try:
            header = await load_snapshot(conn, tables, path, hashing.loaded)
            await hashing.finish()
        except SnapshotRefused as refused:
            raise JoinRefused(f"snapshot unreadable: {refused.reason}") from refused
        finally:
            await hashing.close()
        if header.position != position:
            raise JoinRefused(f"snapshot is at stream sequence {header.position}, {position} was asked")
        if (header.catalogue_version, header.trust_hash) != (CATALOGUE_VERSION, self.trust.digest):
            raise JoinRefused(
                f"snapshot made under catalogue {header.catalogue_version} and trust "
                f"{header.trust_hash[:12]}, this service runs {CATALOGUE_VERSION} and "
                f"{self.trust.digest[:12]}"
            )
        return header

    async def _digests(self, conn: AsyncConnection, header: SnapshotHeader) -> Digests:
        """Every digest, from the rows just loaded and hashed into the ledger as they were (the service
        keeps the hashes from there); its triggers back on."""
        await self.ledger.install(conn)
        return Digests(
            view=await view_digest(conn, self.views),
            own=await view_digest(conn, self.own_views) if self.own_views else None,
            bookkeeping=await view_digest(conn, [BOOKKEEPING]),
            applied_events=header.applied_events,
        )

    def _vouched(self, digests: Digests, signed: list[Event], producer: str, position: int) -> list[str]:
        matching = [e for e in signed if e.pilot != producer and digests.signed_by(_figures(e))]
        if self.own_views:  # the views only this kind holds: vouched for by services of this kind
            matching = [
                e
                for e in matching
                if e.service == self.service and _figures(e).own_view_digest == digests.own
            ]
        if len({e.pilot for e in matching}) >= VOUCHING_PILOTS:
            return sorted(f"{e.pilot}-{e.service}" for e in matching)
        raise JoinRefused(_disagreement(digests, signed, producer, position, bool(self.own_views)))


def _figures(event: Event) -> CheckpointRecorded:
    assert isinstance(event.payload, CheckpointRecorded)
    return event.payload


def _disagreement(digests: Digests, signed: list[Event], producer: str, position: int, own: bool) -> str:
    """Which of the snapshot's digests no two other pilots signed, and what they signed instead."""
    others = [e for e in signed if e.pilot != producer]
    checks: list[tuple[str, object, Callable[[CheckpointRecorded], object]]] = [
        ("view digest", digests.view, lambda f: f.view_digest),
        ("bookkeeping digest", digests.bookkeeping, lambda f: f.bookkeeping_digest),
        ("applied events", digests.applied_events, lambda f: f.applied_events),
    ]
    if own:
        checks.append(("own views' digest", digests.own, lambda f: f.own_view_digest))
    for name, ours, theirs in checks:
        signed_values = {str(theirs(_figures(e))) for e in others}
        if str(ours) not in signed_values:
            shown = ", ".join(sorted(v[:16] for v in signed_values))
            return (
                f"snapshot refused: its {name} at stream sequence {position} is {str(ours)[:16]}, which no "
                f"other pilot signed (signed: {shown})"
            )
    return (
        f"snapshot refused: fewer than {VOUCHING_PILOTS} pilots other than {producer} signed all its digests"
    )


async def agreed_checkpoints(
    js: JetStreamContext, trust: TrustStore, position: int, every: int
) -> list[Event]:
    """The verified checkpoints signed at agreed position `position`: they follow it on the stream, within
    SIGNING_WINDOW intervals (a service behind signs when it gets there)."""
    found = []
    stop = position + SIGNING_WINDOW * every
    async for message in read_stream(js, CHECKPOINTS, start=position + 1, stop=stop):
        try:
            event = decode(message.subject, message.data, message.headers, trust)
        except Rejected:
            continue
        figures = event.payload
        if (
            isinstance(figures, CheckpointRecorded)
            and figures.agreed_position
            and (figures.stream_sequence, figures.trust_hash) == (position, trust.digest)
        ):
            found.append(event)
    return found


async def replace_consumer(js: JetStreamContext, durable: str, config: ConsumerConfig) -> None:
    """The service's durable consumer anew, as `config` says (after a snapshot's position); the runner
    binds to it by name."""
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(STREAM, durable)
    config.name = config.durable_name = durable
    config.filter_subject = "ess.>"
    await js.add_consumer(STREAM, config=config)
