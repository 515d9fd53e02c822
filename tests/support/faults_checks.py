"""What every fault case ends with: no accepted event lost, no effect applied twice, every pilot's digest
equal (and equal to the digest folded from the stream alone). Accepted events are those in the
services' journals (their outboxes) plus the valid events a test published itself."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from ess_contracts.codec import WireMessage
from ess_contracts.event import Event
from ess_contracts.signing import TrustFile, TrustStore
from ess_core.messaging.db import make_engine
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import applied, consumer_position, outbox
from tests.support import events as ev
from tests.support.deployment import REPO, Deployment, Name

FUNDERS: list[Name] = [("region", "funding"), ("state", "funding"), ("bdt", "funding")]


@dataclass
class Verdict:
    fault: str
    happened: str
    lost: int
    twice: int
    digests_equal: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        equal = "yes" if self.digests_equal else "**no**"
        return f"| {self.fault} | {self.happened} | {self.lost} | {self.twice} | {equal} |"


RESULTS: list[Verdict] = []


async def journal_ids(system: Deployment, names: Iterable[Name]) -> set[str]:
    """Ids of the strategy events the services accepted (checkpoints are bookkeeping, never applied)."""
    ids: set[str] = set()
    for pilot, service in names:
        engine = make_engine(system.database_url(pilot, service), writer=False)
        try:
            async with engine.connect() as conn:
                query = select(outbox.c.event_id).where(outbox.c.aggregate != "checkpoint")
                ids |= set((await conn.scalars(query)).all())
        finally:
            await engine.dispose()
    return ids


async def applied_state(system: Deployment, pilot: str, service: str) -> tuple[set[str], int]:
    """(ids in the applied bookkeeping, the applied counter): a second application of one event would
    raise the counter above the number of distinct ids."""
    engine = make_engine(system.database_url(pilot, service), writer=False)
    try:
        async with engine.connect() as conn:
            ids = set((await conn.scalars(select(applied.c.event_id))).all())
            counter = await conn.scalar(
                select(consumer_position.c.applied_count).where(consumer_position.c.consumer == "view")
            )
            distinct = await conn.scalar(select(func.count()).select_from(applied))
        return ids, int(counter or 0) - int(distinct or 0)
    finally:
        await engine.dispose()


REFERENCE_TRIES = 5


def settle(
    system: Deployment,
    names: Sequence[Name],
    fault: str,
    happened: str,
    *,
    extra_ids: Iterable[str] = (),
    journals: Sequence[Name] | None = None,
    limit: float = 60.0,
    started: float | None = None,
    upgrade: str | None = None,
) -> Verdict:
    """Wait (bounded) until every service applied every accepted event, then measure and record."""
    expected = asyncio.run(journal_ids(system, journals or names)) | set(extra_ids)
    deadline = time.monotonic() + limit
    while True:
        states = {n: asyncio.run(applied_state(system, *n)) for n in names}
        missing = {n: expected - ids for n, (ids, _) in states.items()}
        if not any(missing.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    lost = max(len(m) for m in missing.values())
    twice = max(extra for _, extra in states.values())
    digests = {f"{p}-{s}": system.digest(p, s)["view_digest"] for p, s in names}
    from_stream = reference_digest(system, upgrade)
    for _ in range(REFERENCE_TRIES - 1):  # a replica back from an outage answers direct gets while it
        if from_stream in digests.values():  # still catches up: read the stream again, a moment later
            break
        time.sleep(1.0)
        from_stream = reference_digest(system, upgrade)
    equal = len(set(digests.values())) == 1 and from_stream in digests.values()
    verdict = Verdict(fault, happened, lost, twice, equal)
    if started is not None:
        verdict.seconds = time.monotonic() - started
    if not equal:
        verdict.notes.append(f"digests {digests}, from the stream {from_stream}")
    RESULTS.append(verdict)
    return verdict


def reference_digest(system: Deployment, upgrade: str | None = None) -> str:
    """The digest folded from the stream alone (tests/tools/digest_from_stream.py), in a process of its
    own so it runs the code the services run; given `upgrade`, with the next release's catalogue."""
    server = ",".join(node.url for node in system.nodes if node.running) or system.nats.url  # live nodes
    args = ["--server", server, "--trust", str(system.state.trust_file)]
    if upgrade is None:
        command = [sys.executable, "-m", "tests.tools.digest_from_stream", *args]
    else:
        code = (
            "import sys; from tests.support.faults_child import upgrade; upgrade(sys.argv.pop(1)); "
            "from tests.tools.digest_from_stream import main; main()"
        )
        command = [sys.executable, "-c", code, upgrade, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=REPO)
    assert done.returncode == 0, f"digest_from_stream failed: {done.stderr[-2000:]}"
    return done.stdout.strip()


def check(verdict: Verdict) -> None:
    assert (verdict.lost, verdict.twice, verdict.digests_equal) == (0, 0, True), verdict


async def commit_acts(
    system: Deployment, pilot: str, service: str, project: str, count: int, first: int = 0
) -> list[Event]:
    """Acts a funding service decided: `count` decisions on `project`, committed in its own database
    (outbox) while it runs, exactly as its own act handlers commit them; its relay publishes them."""
    engine = make_engine(system.database_url(pilot, service))
    try:
        async with engine.begin() as conn:
            box = Outbox(pilot, service, system.signers[pilot])  # type: ignore[arg-type,index]
            payloads = [
                ev.decided(f"{pilot}-{first + n}", 1_000_00 + n, date(2026, 4, 1)) for n in range(count)
            ]
            return await box.record(conn, project, payloads)
    finally:
        await engine.dispose()


def wire(system: Deployment, pilot: str, event: Event) -> WireMessage:
    return ev.wire(system.signers, pilot, event)  # type: ignore[arg-type]


def trust(system: Deployment) -> TrustStore:
    return TrustStore(TrustFile.load(system.state.trust_file))
