"""The benchmarks through the intake service, run as a pilot runs it: a nats-server with the deployed config,
keys, trust file and tokens made as `ess up` makes them, and each service a process of its own
(`ess_ops.cli.services.spawn`) with its own database (SQLite files, or PostgreSQL databases made for
the run).

3. Submissions: valid submissions (distinct titles, one holder token per client) POSTed by 32 concurrent
   clients to intake alone (its relay publishing meanwhile); accepted (201) per second, after a warm-up.
4. End-to-end latency: the three pilots' funding services started and caught up, submissions sent at a
   steady 100 per second (open loop, each in its own task); for each, from its HTTP 201 to the moment the
   project is committed in every pilot's view. How that moment is seen without polling the services:
   the projection runner acks a batch's messages right after its transaction commits, and an ack is a
   NATS message this process can hear too (`$JS.ACK.ESS.<pilot>-funding.>`, which carries the stream
   sequence); the moment is the last of the three funding services' acks of the project's
   `project_submitted` (its stream sequence read back from the stream after the run). A hundred of the
   projects are then read from every pilot's `GET /projects/{id}/plan` (200), untimed, to check what the
   acks meant. The relay's share (201 to the event on the stream, heard on its subject) is kept too.
   Raw: nats-py publish (with its PubAck, as the relay does) to a stream of its own on the same server,
   pulled with `fetch` by a consumer in this process, at the same rate and count, in the same run: from
   the publish call to the message in the consumer's hands.

CPU per submission of each process (services with their threads, the broker, this one) is recorded
beside each figure: on 2 cores it says which process the machine's time went to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from bench import http, infra
from ess_contracts.subjects import STREAM
from ess_contracts.types import PILOTS
from ess_core.auth.tokens import LocalIssuer
from ess_ops import keys
from ess_ops.cli.services import SERVICE_MODULE, Child, spawn, stop_all
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from ess_ops.topology import StateDir
from tests.support import intake_data

CLIENTS = 32
CHECKED = 100  # projects whose plan is read back from every pilot after a latency run
RATE = 100.0  # the rate; a lower one shows the latency of a machine that keeps up
FUNDERS = tuple(PILOTS)  # every pilot runs a funding service holding the shared views
Name = tuple[str, str]


def submission(n: int, run: str) -> dict[str, Any]:
    """A valid body for POST /projects (the tests' own), with a title of its own: an open project with the
    same holder and title would be refused as a duplicate."""
    return intake_data.submission(title=f"Tiers-lieu {run} n°{n}", planned_jobs=n % 7)


@dataclass
class Stack:
    """One deployment: the broker, the keys and the service processes started so far."""

    backend: str
    state: StateDir
    nats: NatsServer
    issuer: LocalIssuer
    auth_key: Path
    databases: dict[Name, str]
    children: dict[Name, Child] = field(default_factory=dict)
    module: str = SERVICE_MODULE  # what each child runs (bench/profile_live.py wraps it to count statements)
    extra_env: dict[str, str] = field(default_factory=dict)

    def token(self, subject: str, roles: Sequence[str], pilot: str = "region") -> str:
        return self.issuer.mint(subject, pilot, roles)

    def start(self, names: Sequence[Name], wait: float = 90.0) -> None:
        started = []
        for pilot, service in names:
            env = self.state.service_env(pilot, service, self.nats.url, self.auth_key)
            env["ESS_DATABASE_URL"] = self.databases[(pilot, service)]
            env.update(self.extra_env)
            log = self.state.log(pilot, service)
            child = spawn(pilot, service, env["ESS_DATABASE_URL"], log, env, module=self.module)
            self.children[(pilot, service)] = started_child = child
            started.append(started_child)
        deadline = time.monotonic() + wait
        for child in started:
            while not child.healthy():
                if child.exited() is not None:
                    raise RuntimeError(child.describe_exit("at start"))
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} not healthy after {wait:.0f} s (log {child.log_path})")
                time.sleep(0.05)

    def url(self, pilot: str, service: str) -> str:
        return self.children[(pilot, service)].http_url


@asynccontextmanager
async def stack(backend: str, work: Path) -> AsyncIterator[Stack]:
    state = StateDir(work / f"stack-{backend}-{uuid.uuid4().hex[:6]}")
    for folder in (state.data, state.logs, state.nats):
        folder.mkdir(parents=True, exist_ok=True)
    names: list[Name] = [("region", "intake"), *((p, "funding") for p in FUNDERS)]
    async with contextlib.AsyncExitStack() as exits:
        databases: dict[Name, str] = {}
        for pilot, service in names:
            if backend == "sqlite":
                databases[(pilot, service)] = f"sqlite+aiosqlite:///{state.database(pilot, service)}"
            else:  # an empty database: the service migrates it at start, as deployed
                url = await exits.enter_async_context(infra.database(backend, work, migrate=False))
                databases[(pilot, service)] = url
        nats = NatsServer(state.nats, own_session=True)
        nats.start()
        exits.callback(nats.close)
        nc, js = await infra.connect(nats.url)
        try:
            await provision(js, load_stream_config(default_stream_config_path()))
        finally:
            await nc.close()
        signers = {pilot: keys.ensure_seed(state.seed(pilot)) for pilot in PILOTS}
        keys.ensure_trust(state.trust_file, {p: s.public_key for p, s in signers.items()})
        issuer, auth_key = keys.ensure_issuer(state.auth)
        running = Stack(backend, state, nats, issuer, auth_key, databases)
        try:
            yield running
        finally:
            await asyncio.to_thread(stop_all, list(running.children.values()))


# --- 3. submissions per second -------------------------------------------------------------------------


async def _post_all(
    url: str, tokens: Sequence[str], bodies: Sequence[bytes]
) -> tuple[float, list[int], list[float]]:
    """Each client posts the next body until none is left; returns (seconds, statuses, 201 times)."""
    queue = iter(range(len(bodies)))
    statuses: list[int] = [0] * len(bodies)
    done_at: list[float] = [0.0] * len(bodies)

    async def client(token: str) -> None:
        async with http.connection(url, {"Authorization": f"Bearer {token}"}) as conn:
            for i in queue:
                statuses[i], _ = await conn.post("/projects", bodies[i])
                done_at[i] = time.perf_counter()

    started = time.perf_counter()
    await asyncio.gather(*(client(t) for t in tokens))
    return time.perf_counter() - started, statuses, done_at


async def submissions(running: Stack, count: int, run: str) -> dict[str, Any]:
    url = running.url("region", "intake")
    tokens = [running.token(f"bench-holder-{run}-{c}", ("holder",)) for c in range(CLIENTS)]
    warm = [json.dumps(submission(n, f"{run}w")).encode() for n in range(CLIENTS * 2)]
    await _post_all(url, tokens, warm)
    bodies = [json.dumps(submission(n, run)).encode() for n in range(count)]
    cpu = Cpu(running)
    seconds, statuses, _ = await _post_all(url, tokens, bodies)
    spent = cpu.per(count)
    accepted = statuses.count(201)
    if accepted != count:
        raise RuntimeError(f"{count - accepted} submissions refused: statuses {sorted(set(statuses))}")
    return {
        "submissions": count,
        "clients": CLIENTS,
        "seconds": seconds,
        "per_s": accepted / seconds,
        "cpu_ms_per_submission": spent,
    }


# --- 4. end-to-end latency ------------------------------------------------------------------------------


@dataclass
class Acks:
    """When each funding service acked each stream sequence, as this process heard it."""

    at: dict[str, dict[int, float]] = field(default_factory=dict)

    async def handle(self, msg: Msg) -> None:
        meta = Msg.Metadata._from_reply(msg.subject)
        self.at.setdefault(meta.consumer, {}).setdefault(meta.sequence.stream, time.perf_counter())

    def past(self, consumer: str, seq: int) -> bool:
        return seq in self.at.get(consumer, {})


async def _caught_up(js: Any, consumers: Sequence[str], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        last = (await js.stream_info(STREAM)).state.last_seq
        floors = []
        for consumer in consumers:
            with contextlib.suppress(Exception):  # not created yet: the service is starting
                info = await js.consumer_info(STREAM, consumer)
                floors.append(info.ack_floor.stream_seq if info.ack_floor else 0)
        if len(floors) == len(consumers) and min(floors) >= last:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"funding services not caught up after {limit:.0f} s: {floors} < {last}")
        await asyncio.sleep(0.05)


async def _submitted_seqs(js: Any, ids: set[str], limit: float = 120.0) -> dict[str, int]:
    """The stream sequence of each project's `project_submitted`, once the relay has published them all."""
    sub = await js.pull_subscribe(
        "ess.region.intake.project.*.project_submitted",
        stream=STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
    )
    found: dict[str, int] = {}
    deadline = time.monotonic() + limit
    try:
        while not ids <= found.keys():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(ids - found.keys())} submissions not on the stream after {limit} s")
            try:
                messages = await sub.fetch(500, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            for msg in messages:
                found[msg.subject.split(".")[4]] = msg.metadata.sequence.stream
    finally:
        await sub.unsubscribe()
    return found


async def _acked(acks: Acks, consumers: Sequence[str], seqs: Sequence[int], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not all(acks.past(c, seq) for c in consumers for seq in seqs):
        if time.monotonic() > deadline:
            heard = {c: len(acks.at.get(c, {})) for c in consumers}
            raise RuntimeError(
                f"funding services did not ack every submission after {limit:.0f} s (acks heard: {heard}, "
                f"waiting for stream sequences {min(seqs)}-{max(seqs)})"
            )
        await asyncio.sleep(0.05)


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000, "samples": len(ordered)}


async def _paced(count: int, rate: float, send: Any) -> None:
    """`send(i)` at `rate` per second from now, each in a task of its own (a slow answer delays no other)."""
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)


async def latency(running: Stack, count: int, run: str, rate: float = RATE) -> dict[str, Any]:
    consumers = [f"{p}-funding" for p in FUNDERS]
    nc, js = await infra.connect(running.nats.url)
    try:
        await _caught_up(js, consumers)
        url = running.url("region", "intake")
        token = running.token(f"bench-latency-{run}", ("holder",))
        bodies = [json.dumps(submission(n, f"{run}l")).encode() for n in range(count)]
        answered: dict[str, float] = {}
        asked: dict[str, float] = {}
        acks = Acks()
        listening = [await nc.subscribe(f"$JS.ACK.{STREAM}.{c}.>", cb=acks.handle) for c in consumers]
        on_stream: dict[str, float] = {}

        async def published(msg: Msg) -> None:
            on_stream.setdefault(msg.subject.split(".")[4], time.perf_counter())

        listening.append(await nc.subscribe("ess.region.intake.project.*.project_submitted", cb=published))
        await nc.flush()
        cpu = Cpu(running)
        async with contextlib.AsyncExitStack() as opened:
            pool: asyncio.Queue[http.Connection] = asyncio.Queue()
            for _ in range(CLIENTS):
                header = {"Authorization": f"Bearer {token}"}
                pool.put_nowait(await opened.enter_async_context(http.connection(url, header)))

            async def send(i: int) -> None:
                conn = await pool.get()
                sent = time.perf_counter()
                status, body = await conn.post("/projects", bodies[i])
                at = time.perf_counter()
                pool.put_nowait(conn)
                if status != 201:
                    raise RuntimeError(f"submission refused: {status} {body[:200]!r}")
                project_id = json.loads(body)["project_id"]
                answered[project_id], asked[project_id] = at, sent

            await _paced(count, rate, send)
        found = await _submitted_seqs(js, set(answered))
        seqs = {p: found[p] for p in answered}
        await _acked(acks, consumers, list(seqs.values()))
        spent = cpu.per(count)
        for sub in listening:
            await sub.unsubscribe()
        seen = {p: max(acks.at[c][seqs[p]] for c in consumers) for p in answered}
        waits = [seen[p] - at for p, at in answered.items()]
        # where the time went: from the 201 to the event on the stream (the relay), then to the last ack
        relayed = [on_stream[p] - at for p, at in answered.items() if p in on_stream]
        folded = [seen[p] - on_stream[p] for p in answered if p in on_stream]
        from_request = [seen[p] - asked[p] for p in answered]  # the 201's own time included
        answering = [at - asked[p] for p, at in answered.items()]
    finally:
        await nc.close()
    await _check_plans(running, sorted(answered)[:: max(1, len(answered) // CHECKED)])
    return {
        "submissions": count,
        "rate_per_s": rate,
        **_percentiles(waits),
        "relay_p50_ms": _percentiles(relayed)["p50_ms"] if relayed else None,
        "fold_p50_ms": _percentiles(folded)["p50_ms"] if folded else None,
        "from_request_p50_ms": _percentiles(from_request)["p50_ms"],
        "answer_p50_ms": _percentiles(answering)["p50_ms"],
        "cpu_ms_per_submission": spent,
    }


class Cpu:
    """CPU seconds of each service process (and its threads) and the broker since creation."""

    def __init__(self, running: Stack) -> None:
        self.pids = {f"{p}-{s}": c.proc.pid for (p, s), c in running.children.items()}
        self.pids["nats-server"] = running.nats.pid or 0
        self.pids["bench"] = os.getpid()
        self.start = {name: _cpu_seconds(pid) for name, pid in self.pids.items()}

    def per(self, count: int) -> dict[str, float]:
        return {
            name: round((_cpu_seconds(pid) - self.start[name]) / count * 1000, 2)
            for name, pid in self.pids.items()
        }


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, its threads included (Linux /proc), 0 where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _check_plans(running: Stack, project_ids: Sequence[str]) -> None:
    """Untimed: every pilot's funding service serves these projects' plans (what the acks stood for)."""
    for pilot in FUNDERS:
        headers = {"Authorization": f"Bearer {running.token(f'bench-{pilot}', ('instructor',), pilot)}"}
        async with httpx.AsyncClient(base_url=running.url(pilot, "funding"), headers=headers) as http:
            for project_id in project_ids:
                answer = await http.get(f"/projects/{project_id}/plan")
                if answer.status_code != 200:
                    raise RuntimeError(f"{pilot} funding: plan of {project_id}: {answer.status_code}")


async def raw_latency(url: str, count: int, rate: float = RATE) -> dict[str, Any]:
    """nats-py alone: publish with PubAck to a stream of its own, pull with fetch; same rate and count."""
    nc, js = await infra.connect(url)
    stream = f"RAW{uuid.uuid4().hex[:6].upper()}"
    try:
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
        sub = await js.pull_subscribe(
            f"{stream.lower()}.>",
            durable="raw",
            stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
        )
        sent: dict[int, float] = {}
        waits: list[float] = []

        async def consume() -> None:
            while len(waits) < count:
                try:
                    messages = await sub.fetch(500, timeout=0.5)
                except (NatsTimeout, TimeoutError):
                    continue
                now = time.perf_counter()
                for msg in messages:
                    waits.append(now - sent[int(msg.data)])
                    await msg.ack()

        consumer = asyncio.create_task(consume())

        async def send(i: int) -> None:
            sent[i] = time.perf_counter()
            await js.publish(f"{stream.lower()}.{i % 100}", str(i).encode(), stream=stream)

        await _paced(count, rate, send)
        await asyncio.wait_for(consumer, 60)
        await sub.unsubscribe()
        await js.delete_stream(stream)
    finally:
        await nc.close()
    return {"messages": count, "rate_per_s": rate, **_percentiles(waits)}


async def bench_backend(
    backend: str, work: Path, submit_count: int, latency_count: int, slow_rate: float
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    async with stack(backend, work) as running:
        await asyncio.to_thread(running.start, [("region", "intake")])
        throughput = await submissions(running, submit_count, run)
        await asyncio.to_thread(running.start, [(p, "funding") for p in FUNDERS])
        raw = await raw_latency(running.nats.url, latency_count)
        ours = await latency(running, latency_count, run)
        out = {
            "submissions": throughput,
            "latency": ours,
            "raw": raw,
            "ratio_p50": ours["p50_ms"] / raw["p50_ms"],
        }
        if slow_rate:
            count = max(50, int(latency_count * slow_rate / RATE))
            slow_raw = await raw_latency(running.nats.url, count, slow_rate)
            slow = await latency(running, count, f"{run}s", slow_rate)
            out["slow"] = {"latency": slow, "raw": slow_raw, "ratio_p50": slow["p50_ms"] / slow_raw["p50_ms"]}
    return out
