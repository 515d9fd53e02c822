"""Snapshot join: a new service starting from another pilot's snapshot, against replaying the whole stream.

For a corpus of N events on a fresh stream, per backend:

1. full replay: `ProjectionRunner` with every shared view and the digest ledger of views and bookkeeping
   (installed as `ServiceRuntime.start` does), `agreed=` a `KeptCheckpoints` that signs each agreed
   position as `AgreedCheckpoints` does (the ledger settled, `checkpoint_figures`) but keeps the figures
   in memory instead of an outbox; wall and CPU seconds until the last event is committed. `every` is
   N // 10, and the snapshot is taken at the last agreed position P below the head (a tail of `every`
   events follows it);
2. the producer's snapshot at P: its read pinned when the runner commits P (as `SnapshotProducer.start`
   does, the fold paused), written with `write_snapshot` once the replay reached the head; time, size;
3. two vouching checkpoints, signed by the corpus's keys of two pilots other than the producer, with the
   figures signed at P, published on their own subjects after the corpus (so after P, within the window
   `agreed_checkpoints` reads);
4. the join, on a fresh migrated database: `Joiner.join` from a file-backed source (positions, fetch by
   copy), the rows loaded hashed into the service's digest ledger once (their digests read from it), then
   `replace_consumer` after P and a `ProjectionRunner` replaying the tail to the head; each phase timed,
   and the end digests (shared views, bookkeeping) compared with the full replay's at the same head;
5. state against history: besides the standard corpus (projects and their stories, about 200 in flight),
   a corpus of the smallest point's projects followed by a long run of later events on those projects
   (each a follow-up review recorded again: the review row is overwritten, a timeline row and an applied
   id are added), with as many events as the largest default point.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import pickle
import random
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench import events, infra
from bench.events import Corpus, Spec, Wire
from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.ops import CheckpointRecorded
from ess_contracts.signing import Signer, TrustStore
from ess_contracts.subjects import STREAM
from ess_core.messaging.bookkeeping import APPENDED, BOOKKEEPING
from ess_core.messaging.db import make_engine
from ess_core.messaging.digest_ledger import DigestLedger
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import ProjectionRunner, consumer_config
from ess_core.messaging.view_idiom import View
from ess_core.service.agreed import _pinned_mark, snapshot_tables
from ess_core.service.checkpoints import checkpoint_figures, snapshot
from ess_core.service.snapshot_join import Joiner, agreed_checkpoints, replace_consumer
from ess_core.snapshots.format import SnapshotHeader, write_snapshot
from ess_views import shared_views

BATCH = 500
POLL = 0.005
STALL = 600.0
"""Seconds a runner may go without committing anything before the run is given up."""
PRODUCER = "region"
VOUCHERS = ("state", "bdt")
JOINER = "bdt"  # its own earlier service vouches: a restored service, as in tests/system
SERVICE = "funding"
HISTORY_VERSION = 1

Log = Callable[[str], None]


@dataclass
class Timed:
    seconds: float = 0.0
    cpu: float = 0.0
    """CPU seconds of this process, all its threads (SQLite's work too, not the broker's nor PostgreSQL's)."""

    def figures(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 3), "cpu_s": round(self.cpu, 3)}


def _cpu() -> float:
    """This process's CPU seconds and its ended children's: the join's hashing workers, once it stopped
    them (the broker, a child too, ends after the last lap)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def lap(self) -> Timed:
        wall, cpu = time.perf_counter(), _cpu()
        timed = Timed(wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return timed


@dataclass
class KeptCheckpoints:
    """`AgreedCheckpoints` without an outbox: signs each agreed position in the runner's transaction (the
    ledger settled, the figures read) and keeps the figures; pins a read at `pin_at` once it committed."""

    every: int
    ledger: DigestLedger
    views: Sequence[View]
    trust_hash: str
    name: str = f"{PRODUCER}-{SERVICE}"
    pin_at: int | None = None
    reader: AsyncEngine | None = None
    figures: dict[int, CheckpointRecorded] = field(default_factory=dict)
    pinned: tuple[AsyncConnection, int] | None = None
    """The read transaction opened at `pin_at`, and the events applied there."""

    async def sign(self, conn: AsyncConnection, position: int) -> None:
        await self.ledger.settle(conn)
        self.figures[position] = await checkpoint_figures(
            conn, self.views, self.name, self.trust_hash, agreed_position=position
        )

    async def committed(self, position: int) -> None:
        if position != self.pin_at or self.reader is None:
            return
        conn = await snapshot(self.reader)
        mark = await _pinned_mark(conn)
        assert mark is not None and mark[0] == position, f"pinned {mark}, not {position}"
        self.pinned = (conn, mark[1])


@dataclass(frozen=True)
class FileSource:
    """A `SnapshotSource` holding one snapshot file; `fetch` copies it and times the copy."""

    pilot: str
    path: Path
    position: int
    fetched: list[Timed] = field(default_factory=list)

    async def positions(self) -> list[int]:
        return [self.position]

    async def fetch(self, position: int, into: Path) -> None:
        assert position == self.position
        clock = Clock()
        await asyncio.to_thread(shutil.copyfile, self.path, into)
        self.fetched.append(clock.lap())


async def _run_until(runner: ProjectionRunner, seq: int) -> asyncio.Task[None]:
    """Start the runner and return its task once it has committed stream sequence `seq`."""
    await runner.start()
    task = asyncio.create_task(runner.run_started())
    last, moved = runner.committed_seq, time.monotonic()
    while runner.committed_seq < seq and not task.done():
        await asyncio.sleep(POLL)
        if runner.committed_seq != last:
            last, moved = runner.committed_seq, time.monotonic()
        elif time.monotonic() - moved > STALL:
            break
    if runner.committed_seq < seq:
        await _stop(runner, task)
        raise RuntimeError(f"projection stopped at {runner.committed_seq} < {seq}")
    return task


async def _stop(runner: ProjectionRunner, task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await runner.stop()


async def _digests(engine: AsyncEngine, views: Sequence[View]) -> dict[str, str]:
    async with engine.connect() as conn:
        return {
            "views": await view_digest(conn, views),
            "bookkeeping": await view_digest(conn, [BOOKKEEPING]),
        }


def vouching_checkpoints(corpus: Corpus, figures: CheckpointRecorded) -> list[Wire]:
    """The checkpoints other pilots' funding services sign at the position: the same figures, each in its
    own name, on `ess.<pilot>.funding.checkpoint.funding.checkpoint_recorded`."""
    out = []
    for pilot in VOUCHERS:
        payload = figures.model_copy(update={"reporting_service": f"{pilot}-{SERVICE}"})
        event = new_event(payload, pilot=pilot, service=SERVICE, aggregate_id=SERVICE, sequence=1)  # type: ignore[arg-type]
        wire = encode(event, Signer(corpus.seeds[pilot]))
        out.append((wire.subject, wire.data, wire.headers))
    return out


async def producer(
    engine: AsyncEngine,
    reader: AsyncEngine,
    js: JetStreamContext,
    trust: TrustStore,
    durable: str,
    every: int,
    position: int,
) -> tuple[ProjectionRunner, KeptCheckpoints]:
    """The producer's runner with every shared view and the digest ledger, installed as a service does,
    signing every agreed position and pinning its snapshot's read at `position`."""
    views = shared_views()
    ledger = DigestLedger([*views, BOOKKEEPING], APPENDED)
    async with engine.begin() as conn:
        await ledger.install(conn)
    agreed = KeptCheckpoints(every, ledger, views, trust.digest, pin_at=position, reader=reader)
    runner = ProjectionRunner(
        engine, js, trust, views, durable=durable, batch_size=BATCH, ledger=ledger, agreed=agreed
    )
    return runner, agreed


async def produce(
    corpus: Corpus, broker: infra.Broker, db_url: str, head: int, every: int, position: int, folder: Path
) -> dict[str, Any]:
    """Steps 1-3: the full replay, the snapshot at `position`, the vouchers; the replay then goes on to
    the new head (untimed), so its end digests compare with the join's."""
    trust = corpus.trust()
    views = shared_views()
    engine, reader = make_engine(db_url), make_engine(db_url, writer=False)
    nc, js = await infra.connect(broker.url)
    try:
        runner, agreed = await producer(engine, reader, js, trust, "full", every, position)
        clock = Clock()
        task = await _run_until(runner, head)
        replayed = clock.lap()
        assert agreed.pinned is not None, f"no read pinned at {position}"
        conn, applied_events = agreed.pinned
        header = SnapshotHeader(
            pilot=PRODUCER,
            service=SERVICE,
            position=position,
            applied_events=applied_events,
            catalogue_version=CATALOGUE_VERSION,
            trust_hash=trust.digest,
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        path = folder / f"snapshot-{position:012d}.ndjson.gz"
        clock = Clock()
        try:
            written = await write_snapshot(conn, snapshot_tables(views), header, path)
        finally:
            await conn.close()
        wrote = clock.lap()
        published = []
        for subject, data, headers in vouching_checkpoints(corpus, agreed.figures[position]):
            published.append((await js.publish(subject, data, stream=STREAM, headers=headers)).seq)
        new_head = max(published)
        await _catch_up(runner, task, new_head)
        await _stop(runner, task)
        return {
            "replay": replayed.figures(),
            "snapshot": {
                **wrote.figures(),
                "bytes": path.stat().st_size,
                "rows": sum(written.tables.values()),
                "tables": written.tables,
                "applied_events": applied_events,
            },
            "path": path,
            "head": new_head,
            "vouchers_at": published,
            "digests": await _digests(engine, views),
        }
    finally:
        await nc.close()
        await reader.dispose()
        await engine.dispose()


async def _catch_up(runner: ProjectionRunner, task: asyncio.Task[None], seq: int) -> None:
    deadline = time.monotonic() + STALL
    while runner.committed_seq < seq and not task.done() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL)
    if runner.committed_seq < seq:
        raise RuntimeError(f"projection stopped at {runner.committed_seq} < {seq}")


async def join(
    corpus: Corpus,
    broker_url: str,
    db_url: str,
    snapshot_path: Path,
    position: int,
    head: int,
    every: int,
) -> dict[str, Any]:
    """Step 4, as `ServiceRuntime._join` then `_start_projection` do it."""
    trust = corpus.trust()
    views = shared_views()
    engine = make_engine(db_url)
    nc, js = await infra.connect(broker_url)
    source = FileSource(PRODUCER, snapshot_path, position)
    phases: dict[str, Timed] = {}
    try:
        ledger = DigestLedger([*views, BOOKKEEPING], APPENDED)  # the rows loaded are hashed into it, once
        joiner = Joiner(engine, js, trust, views, [], JOINER, SERVICE, every, ledger)
        start = clock = Clock()
        joined = await joiner.join(source)
        joined_in = clock.lap()
        phases["fetch"] = source.fetched[0]
        phases["load_verify"] = Timed(
            joined_in.seconds - phases["fetch"].seconds, joined_in.cpu - phases["fetch"].cpu
        )
        durable = "joined"
        await replace_consumer(js, durable, consumer_config(BATCH, after=joined.position))
        agreed = KeptCheckpoints(every, ledger, views, trust.digest, name=f"{JOINER}-{SERVICE}")
        runner = ProjectionRunner(
            engine, js, trust, views, durable=durable, batch_size=BATCH, ledger=ledger, agreed=agreed
        )
        task = await _run_until(runner, head)
        phases["tail"] = clock.lap()
        total = Timed(sum(p.seconds for p in phases.values()), sum(p.cpu for p in phases.values()))
        total_wall = time.perf_counter() - start.wall
        await _stop(runner, task)
        clock = Clock()
        found = await agreed_checkpoints(js, trust, position, every)
        lookup = clock.lap()
        return {
            "phases": {name: timed.figures() for name, timed in phases.items()},
            "total": {**total.figures(), "wall_end_to_end_s": round(total_wall, 3)},
            "rows": joined.rows,
            "vouched_by": joined.vouched_by,
            "vouchers_lookup": {**lookup.figures(), "found": len(found)},
            "digests": await _digests(engine, views),
        }
    finally:
        await nc.close()
        await engine.dispose()


# --- the corpus of long history: the same projects, then many later events on them --------------------------


def _later_reviews(base_events: int, later: int, seed: int = 21) -> list[Spec]:
    """`later` follow-up reviews recorded again on projects submitted within the first `base_events`
    events, each the next of its issuer's sequence (the plan's numbering carried on)."""
    specs = events.plan(base_events)
    sequences: dict[tuple[str, str, str, str], int] = {}
    for pilot, service, aggregate_id, sequence, _, kind, _ in specs:
        key = (pilot, service, events.BUILDERS_AGGREGATE[kind], aggregate_id)
        sequences[key] = max(sequences.get(key, 0), sequence)
    projects = [s[2] for s in specs if s[5] == "project_submitted"]
    rnd = random.Random(seed)
    out: list[Spec] = []
    for i in range(later):
        pid = rnd.choice(projects)
        key = ("region", "evaluation", "project", pid)
        sequences[key] = sequences.get(key, 0) + 1
        args = {"day": 500 + i // 400, "jobs": rnd.randint(0, 12)}
        out.append(
            ("region", "evaluation", pid, sequences[key], base_events + i, "project_review_recorded", args)
        )
    return out


def history_messages(corpus: Corpus, base_events: int, later: int) -> list[Wire]:
    """The first `base_events` of `corpus`, then `later` reviews of their projects signed with the same
    keys; the later part cached under bench/results/ per keys and sizes."""
    keys = hashlib.sha256(json.dumps(corpus.seeds, sort_keys=True).encode()).hexdigest()[:12]
    path = events.RESULTS / f"join-history-v{HISTORY_VERSION}-{keys}-{base_events}-{later}.pickle"
    if path.is_file():
        with path.open("rb") as f:
            tail: list[Wire] = pickle.load(f)
    else:
        specs = _later_reviews(base_events, later)
        jobs = [(corpus.seeds, specs[i : i + events.CHUNK]) for i in range(0, len(specs), events.CHUNK)]
        with ProcessPoolExecutor(min(2, os.cpu_count() or 1)) as pool:
            tail = [m for chunk in pool.map(events._build, jobs) for m in chunk]
        events.RESULTS.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(tail, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return [*corpus.messages[:base_events], *tail]


def _projects(messages: Sequence[Wire]) -> int:
    return sum(1 for subject, _, _ in messages if subject.endswith(".project_submitted"))


# --- one point, and the whole part -------------------------------------------------------------------------


async def point(
    corpus: Corpus, label: str, messages: Sequence[Wire], backend: str, work: Path, log: Log
) -> dict[str, Any]:
    count = len(messages)
    every = max(1, count // 10)
    load_start = os.getloadavg()[0]
    async with infra.Broker() as broker:
        last = await broker.load(messages)
        position = (last - 1) // every * every  # the last agreed position below the head
        async with infra.database(backend, work) as url:
            produced = await produce(corpus, broker, url, last, every, position, work)
        log(
            f"join {label} {backend}: full replay {produced['replay']['seconds']:.1f} s, snapshot at "
            f"{position:,} {produced['snapshot']['seconds']:.1f} s, "
            f"{produced['snapshot']['bytes'] / 1e6:.1f} MB"
        )
        path: Path = produced.pop("path")
        try:
            async with infra.database(backend, work) as url:
                joined = await join(corpus, broker.url, url, path, position, produced["head"], every)
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)
    same = {k: joined["digests"][k] == produced["digests"][k] for k in ("views", "bookkeeping")}
    log(
        f"join {label} {backend}: join {joined['total']['seconds']:.1f} s {joined['phases']}; "
        f"same digests {same}"
    )
    return {
        "label": label,
        "backend": backend,
        "events": count,
        "projects": _projects(messages),
        "every": every,
        "position": position,
        "tail_events": last - position,
        "head": produced["head"],
        "replay": produced["replay"],
        "snapshot": produced["snapshot"],
        "join": {k: v for k, v in joined.items() if k != "digests"},
        "same_view_digest": same["views"],
        "same_bookkeeping_digest": same["bookkeeping"],
        "view_digest": produced["digests"]["views"][:16],
        "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
    }


async def bench_join(
    corpus: Corpus, counts: Sequence[int], history: int, backends: Sequence[str], work: Path, log: Log
) -> dict[str, Any]:
    """Each count of the standard corpus, then (`history` > 0) the smallest count's projects followed by
    `history` later events on them."""
    points: list[tuple[str, Sequence[Wire]]] = [
        (f"{n:,} events", corpus.messages[:n]) for n in sorted(counts)
    ]
    if history:
        base = min(counts)
        long = history_messages(corpus, base, history)
        gc.freeze()  # scaffolding, as the corpus is (bench/__main__.py)
        points.append((f"{base:,} events + {history:,} later events on their projects", long))
    out: dict[str, Any] = {"points": [], "history_base": min(counts) if history else None}
    for label, messages in points:
        for backend in backends:
            out["points"].append(await point(corpus, label, messages, backend, work, log))
    return out
