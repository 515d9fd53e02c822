"""The national run (issue 21): a stream the size of all French ESS funders over a decade, and how long a
fresh service takes to reach its head by snapshot and tail, against a full replay.

    python -m bench --scale national                        # 10,000,000 events, SQLite
    python -m bench --scale national --national-events 200000 --backends sqlite,postgres   # a trial

Phases, each resumable (a run stopped at any point starts again where it was; `state.json` says where):

1. **generate**: the bench corpus's mix (`bench/events.py`, `iter_plan`), paced so that about a million
   projects are submitted over ten years, planned in one pass without holding the stream, signed in
   parallel by chunks of `CHUNK` events written as they are done (a chunk already on disk is kept);
2. **load**: the chunks published, in order, to a JetStream stream kept in the cache (the deployed stream
   config with `max_bytes` raised: `deploy/stream.json`'s 1 GiB is one region's, a national stream of
   ten million events needs about ten); a stopped load resumes after the stream's last message;
3. **replay**, per backend: a producer service with every shared view replays the whole stream (its
   database and durable consumer kept in the cache; wall and CPU time summed over the run's segments),
   signs the agreed positions every `AGREED_EVERY` events (the deployments' default) and pins its
   snapshot at the last multiple of `SNAPSHOT_EVERY` below the head; the snapshot is written, two other
   pilots' checkpoints vouch for it, and the producer goes on to the new head;
4. **join**, per backend: a fresh database joins from that snapshot (`Joiner.join`: fetch, load, verify
   against the vouchers) and replays the tail to the head; its end digests must equal the producer's.

The cache lives outside the repository (`ESS_BENCH_CACHE`, else `~/.cache/ess-bench`), about 20 GB at
ten million events. Results: `bench/results-national.json` and `.md`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pickle
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import events, infra, snapshot_join
from bench.events import Corpus, Spec, Wire
from bench.snapshot_join import Clock, KeptCheckpoints, Log
from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.signing import generate_seed
from ess_contracts.subjects import STREAM
from ess_contracts.types import PILOTS
from ess_core.messaging.db import make_engine
from ess_core.messaging.projection import ProjectionRunner
from ess_core.service.agreed import snapshot_tables
from ess_core.service.migrate import upgrade
from ess_core.snapshots.format import SnapshotHeader, write_snapshot
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from ess_views import shared_views

NATIONAL_EVENTS = 10_000_000
PACE = 274
"""Projects submitted a day: a million projects over ten years (the standard corpus has 40)."""
CHUNK = 50_000
AGREED_EVERY = 10_000
"""As `ESS_AGREED_EVERY`'s default."""
SNAPSHOT_EVERY = 50_000
"""The snapshot's position: the last multiple below the head. Within `SIGNING_WINDOW` agreed intervals of
the head, where the vouchers are published."""
STREAM_BYTES = 20 * 2**30
READY_S = 900.0
"""How long the broker may take to start: after a stop that was not clean, nats-server rebuilds the stream's
index from its blocks before it answers (more than 10 s at five million messages)."""
VERSION = 1
HERE = Path(__file__).resolve().parent


def cache_root() -> Path:
    return Path(os.environ.get("ESS_BENCH_CACHE") or Path.home() / ".cache/ess-bench")


@dataclass(frozen=True)
class Run:
    """One national run's folder in the cache, and what it has done so far (`state.json`)."""

    root: Path
    count: int

    @classmethod
    def of(cls, count: int) -> Run:
        root = cache_root() / f"national-v{VERSION}-g{events.GENERATOR_VERSION}-{count}"
        root.mkdir(parents=True, exist_ok=True)
        return cls(root, count)

    def state(self) -> dict[str, Any]:
        path = self.root / "state.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def save(self, **changes: Any) -> None:
        state = {**self.state(), **changes}
        tmp = self.root / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2, default=str))
        tmp.replace(self.root / "state.json")

    def seeds(self) -> dict[str, str]:
        path = self.root / "seeds.json"  # bench-only keys, generated once per run
        if not path.is_file():
            path.write_text(json.dumps({pilot: generate_seed() for pilot in PILOTS}))
        seeds: dict[str, str] = json.loads(path.read_text())
        return seeds

    def corpus(self) -> Corpus:
        """The run's keys (the trust store, the vouchers' signers); its messages stay on disk."""
        return Corpus(self.seeds(), [])

    @property
    def chunks(self) -> int:
        return -(-self.count // CHUNK)

    def chunk_path(self, index: int) -> Path:
        return self.root / "chunks" / f"{index:05d}.pickle"

    def chunk(self, index: int) -> list[Wire]:
        with self.chunk_path(index).open("rb") as f:
            loaded: list[Wire] = pickle.load(f)
        return loaded


# --- 1. generate --------------------------------------------------------------------------------------------


def _batches(specs: Iterable[Spec], size: int) -> Iterator[list[Spec]]:
    batch: list[Spec] = []
    for spec in specs:
        batch.append(spec)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sign_chunk(seeds: dict[str, str], specs: list[Spec], path: Path) -> int:
    """In a worker: build and sign the chunk's events, written whole or not at all."""
    messages = events._build((seeds, specs))
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(messages, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return len(messages)


def generate(run: Run, log: Log) -> None:
    if run.state().get("generated"):
        return
    seeds, workers = run.seeds(), min(2, os.cpu_count() or 1)
    run.chunk_path(0).parent.mkdir(exist_ok=True)
    clock, pending, done = Clock(), set[Future[int]](), 0
    with ProcessPoolExecutor(workers) as pool:
        for index, specs in enumerate(_batches(events.iter_plan(run.count, pace=PACE), CHUNK)):
            if run.chunk_path(index).is_file():
                continue
            pending.add(pool.submit(_sign_chunk, seeds, specs, run.chunk_path(index)))
            if len(pending) >= 2 * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                done += sum(f.result() for f in finished)
                log(f"national: signed {done:,} events more ({index + 1}/{run.chunks} chunks planned)")
        done += sum(f.result() for f in pending)
    took = clock.lap()
    run.save(generated=True, generate={"seconds": round(took.seconds, 1), "signed_this_segment": done})
    log(f"national: {run.count:,} events on disk ({took.seconds:.0f} s this segment)")


# --- 2. load ------------------------------------------------------------------------------------------------


class _Loader(NatsServer):
    """`infra._LoadingServer`: the deployed config without `sync_interval: always`, to load fast."""

    def config_text(self) -> str:
        return super().config_text().replace("  sync_interval: always\n", "")


@asynccontextmanager
async def broker(run: Run, *, loading: bool = False) -> Any:
    """The run's stream: a nats-server on its store in the cache, the stream provisioned once."""
    server_class = _Loader if loading else NatsServer
    server = server_class(run.root / ("nats-load" if loading else "nats"), store_dir=run.root / "store")
    server.start(ready_timeout=READY_S)
    try:
        nc, js = await infra.connect(server.url)
        try:
            config = dataclasses.replace(
                load_stream_config(default_stream_config_path()), max_bytes=STREAM_BYTES
            )
            await provision(js, config)
        finally:
            await nc.close()
        yield server
    finally:
        server.close()


async def _last_seq(url: str) -> int:
    nc, js = await infra.connect(url)
    try:
        return int((await js.stream_info(STREAM)).state.last_seq)
    finally:
        await nc.close()


async def load(run: Run, log: Log) -> None:
    if run.state().get("loaded"):
        return
    clock = Clock()
    async with broker(run, loading=True) as server:
        on_stream = await _last_seq(server.url)
        for index in range(on_stream // CHUNK, run.chunks):
            skip = on_stream - index * CHUNK if index * CHUNK < on_stream else 0
            await infra.publish_corpus(server.url, run.chunk(index)[skip:])
            if index % 20 == 0 or index == run.chunks - 1:
                log(f"national: {min((index + 1) * CHUNK, run.count):,} events on the stream")
        head = await _last_seq(server.url)
    assert head == run.count, f"{head} messages on the stream, {run.count} expected"
    run.save(loaded=True, head=head, load={"seconds": round(clock.lap().seconds, 1)})


# --- 3. the producer's replay and its snapshot --------------------------------------------------------------


@asynccontextmanager
async def kept_database(run: Run, backend: str, name: str) -> Any:
    """A database kept across the run's segments (migrated once), dropped when the run is."""
    if backend == "sqlite":
        path = run.root / f"{name}.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        base = infra.postgres_base()
        assert base is not None, "ESS_BENCH_POSTGRES_URL or the local PostgreSQL is needed"
        database = f"ess_national_{name}"
        admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{database}"'))
        await admin.dispose()
        url = base.rsplit("/", 1)[0] + f"/{database}"
    marker = run.root / f"{name}.migrated"
    if not marker.is_file():
        await upgrade(url)
        marker.touch()
    yield url


async def replay(run: Run, backend: str, log: Log) -> None:
    key = f"producer_{backend}"
    if run.state().get(key, {}).get("done"):
        return
    head = run.state()["head"]
    position = (head - 1) // SNAPSHOT_EVERY * SNAPSHOT_EVERY
    corpus, views = run.corpus(), shared_views()
    trust = corpus.trust()
    async with broker(run) as server, kept_database(run, backend, f"producer_{backend}") as url:
        engine, reader = make_engine(url), make_engine(url, writer=False)
        nc, js = await infra.connect(server.url)
        try:
            runner, agreed = await snapshot_join.producer(
                engine, reader, js, trust, key, AGREED_EVERY, position
            )
            segment = _Segment(run, key, log)
            await runner.reload()
            if runner.committed_seq >= position:
                raise SystemExit(
                    f"national: {key} passed its snapshot's position {position:,} in an earlier segment; "
                    f"remove {run.root} (or its {key} files) to replay again"
                )
            watching = asyncio.create_task(segment.watch(runner))
            try:
                task = await snapshot_join._run_until(runner, head)
            finally:
                watching.cancel()
            replayed = segment.save(runner.committed_seq)
            assert agreed.pinned is not None, f"no read pinned at {position}"
            snapshot = await _write_snapshot(run, backend, agreed, position, trust.digest)
            published = []
            for subject, data, headers in snapshot_join.vouching_checkpoints(
                corpus, agreed.figures[position]
            ):
                published.append((await js.publish(subject, data, stream=STREAM, headers=headers)).seq)
            await snapshot_join._catch_up(runner, task, max(published))
            await snapshot_join._stop(runner, task)
            figures = agreed.figures[position].model_dump(mode="json")
            run.save(**{key: {
                "done": True, "replay": replayed, "position": position, "snapshot": snapshot,
                "figures": figures, "head": max(published), "vouchers_at": published,
                "digests": await snapshot_join._digests(engine, views),
            }})  # fmt: skip
        finally:
            await nc.close()
            await reader.dispose()
            await engine.dispose()


class _Segment:
    """The replay's time, summed over the run's segments and saved every minute (a stop loses a minute)."""

    def __init__(self, run: Run, key: str, log: Log) -> None:
        before = run.state().get(key, {}).get("replay", {})
        self.run, self.key, self.log = run, key, log
        self.seconds, self.cpu = float(before.get("seconds", 0)), float(before.get("cpu_s", 0))
        self.wall, self.process = time.perf_counter(), time.process_time()

    def save(self, committed: int) -> dict[str, float]:
        figures = {
            "seconds": round(self.seconds + time.perf_counter() - self.wall, 1),
            "cpu_s": round(self.cpu + time.process_time() - self.process, 1),
            "committed": committed,
        }
        self.run.save(**{self.key: {"replay": figures}})
        return figures

    async def watch(self, runner: ProjectionRunner) -> None:
        while True:
            await asyncio.sleep(60)
            figures = self.save(runner.committed_seq)
            rate = figures["committed"] / max(figures["seconds"], 1)
            self.log(f"national: {self.key} at {figures['committed']:,} ({rate:,.0f} events/s)")


async def _write_snapshot(
    run: Run, backend: str, agreed: KeptCheckpoints, position: int, trust_hash: str
) -> dict[str, Any]:
    assert agreed.pinned is not None
    conn, applied_events = agreed.pinned
    header = SnapshotHeader(
        pilot=snapshot_join.PRODUCER,
        service=snapshot_join.SERVICE,
        position=position,
        applied_events=applied_events,
        catalogue_version=CATALOGUE_VERSION,
        trust_hash=trust_hash,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    path = run.root / f"snapshot-{backend}-{position:012d}.ndjson.gz"
    clock = Clock()
    try:
        written = await write_snapshot(conn, snapshot_tables(shared_views()), header, path)
    finally:
        await conn.close()
    took = clock.lap()
    return {
        **took.figures(),
        "path": str(path),
        "bytes": path.stat().st_size,
        "rows": sum(written.tables.values()),
    }


# --- 4. the join --------------------------------------------------------------------------------------------


async def join(run: Run, backend: str, log: Log) -> dict[str, Any]:
    produced = run.state()[f"producer_{backend}"]
    path, position = Path(produced["snapshot"]["path"]), int(produced["position"])
    async with broker(run) as server, infra.database(backend, run.root) as url:
        joined = await snapshot_join.join(
            run.corpus(), server.url, url, path, position, int(produced["head"]), AGREED_EVERY
        )
    same = {k: joined["digests"][k] == produced["digests"][k] for k in ("views", "bookkeeping")}
    log(
        f"national join {backend}: {joined['total']['seconds']:.0f} s {joined['phases']}; same digests {same}"
    )
    return {**{k: v for k, v in joined.items() if k != "digests"}, "same_digests": same}


# --- the whole run ------------------------------------------------------------------------------------------


async def main(count: int, backends: list[str], log: Log, out: Path) -> dict[str, Any]:
    run = Run.of(count)
    load_start = os.getloadavg()[0]
    await asyncio.to_thread(generate, run, log)
    await load(run, log)
    points = []
    for backend in backends:
        await replay(run, backend, log)
        produced = run.state()[f"producer_{backend}"]
        joined = await join(run, backend, log)
        points.append({
            "backend": backend, "events": produced["head"], "replay": produced["replay"],
            "position": produced["position"], "tail_events": produced["head"] - produced["position"],
            "snapshot": {k: v for k, v in produced["snapshot"].items() if k != "path"},
            "join": joined,
        })  # fmt: skip
    results = {
        "command": f"python -m bench --scale national --national-events {count}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "events": count,
        "projects": _projects(run),
        "generate": run.state().get("generate"),
        "load": run.state().get("load"),
        "points": points,
    }
    await asyncio.to_thread(out.write_text, json.dumps(results, indent=2) + "\n")
    await asyncio.to_thread(out.with_suffix(".md").write_text, report(results))
    return results


def _projects(run: Run) -> int:
    """Projects submitted in the plan: counted once, from the chunks' subjects."""
    state = run.state()
    if "projects" not in state:
        found = sum(
            1
            for index in range(run.chunks)
            for subject, _, _ in run.chunk(index)
            if subject.endswith(".project_submitted")
        )
        run.save(projects=found)
        return found
    return int(state["projects"])


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Command: `{results['command']}`, {results['date']}, {results['cpus']} CPUs, load average at start "
        f"{results['load_average'][0]}, at end {results['load_average'][1]}. {results['events']:,} events, "
        f"{results['projects']:,} projects.",
        "",
        "| backend | full replay | its CPU | snapshot at | tail | join: fetch, load and verify, tail "
        "| join in all | same digests |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for p in results["points"]:
        phases = p["join"]["phases"]
        shown = ", ".join(f"{name} {timed['seconds']:.0f} s" for name, timed in phases.items())
        replayed, joined = p["replay"], p["join"]
        lines.append(
            f"| {p['backend']} | {replayed['seconds'] / 60:.1f} min | {replayed['cpu_s'] / 60:.1f} min "
            f"| {p['position']:,} | {p['tail_events']:,} | {shown} "
            f"| {joined['total']['seconds'] / 60:.1f} min | {joined['same_digests']} |"
        )
    return "\n".join(lines) + "\n"


def remove(count: int) -> None:
    """The run's cache (its PostgreSQL databases, `ess_national_*`, stay until dropped by hand)."""
    shutil.rmtree(Run.of(count).root, ignore_errors=True)
