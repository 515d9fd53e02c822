"""Outages under load: a three-node JetStream cluster (replicas 3) losing one node (writes resume within
10 s) and then two (publishes fail loudly, the outboxes keep the events, everything flows once a node is
back); a service's PostgreSQL stopped during a load and started again."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ess_contracts.codec import encode
from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import outbox
from ess_ops.nats.natsserver import NatsServer
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.faults_checks import FUNDERS, check, commit_acts, settle
from tests.support.faults_identities import connected
from tests.support.faults_postgres import DedicatedPostgres

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]


def load(system: Deployment, rounds: int, pause: float, refused: list[str], tag: str) -> None:
    """Each funder commits acts round after round; an act its database refuses is not accepted."""
    for n in range(rounds):
        for pilot, service in FUNDERS:
            try:
                asyncio.run(commit_acts(system, pilot, service, f"region-{tag}-{pilot}", 1, first=n))
            except Exception as error:
                refused.append(f"{pilot}: {type(error).__name__}")
        time.sleep(pause)


async def leader(system: Deployment) -> str:
    async with connected(system.nats_url, system.identities, "operator") as op:
        info = await op.js.stream_info("ESS")
    assert info.cluster is not None
    return str(info.cluster.leader)


async def try_publish(system: Deployment, wait: float = 1.0) -> str | None:
    """One probe event published by region: None when the PubAck came, else what the client raised."""
    event = ev.probe(f"probe-{time.monotonic_ns()}")
    wire = encode(event, system.signers["region"])
    try:
        async with connected(system.nats_url, system.identities, "region") as region:
            await region.nc.jetstream(timeout=wait).publish(
                wire.subject, wire.data, headers=wire.headers, stream="ESS"
            )
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


async def backlog(system: Deployment) -> int:
    total = 0
    for pilot, service in FUNDERS:
        engine = make_engine(system.database_url(pilot, service), writer=False)
        try:
            async with engine.connect() as conn:
                query = select(func.count()).select_from(outbox).where(outbox.c.stream_seq.is_(None))
                total += int(await conn.scalar(query) or 0)
        finally:
            await engine.dispose()
    return total


def node_named(system: Deployment, name: str) -> NatsServer:
    return next(n for n in system.nodes if n.server_name == name)


def test_a_three_node_cluster_losing_one_node_then_two(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True, cluster=3) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        refused: list[str] = []
        loader = threading.Thread(target=load, args=(system, 30, 0.1, refused, "one"))
        loader.start()
        time.sleep(1.0)
        first = node_named(system, asyncio.run(leader(system)))
        first.kill()  # the stream's leader: the worst one to lose
        killed_at = time.monotonic()
        while (problem := asyncio.run(try_publish(system))) is not None:
            assert time.monotonic() - killed_at < 10.0, f"writes did not resume within 10 s: {problem}"
        resumed = time.monotonic() - killed_at
        loader.join(60)
        assert not refused, refused
        verdict = settle(
            system,
            FUNDERS,
            "3-node JetStream cluster (replicas 3) losing the stream leader during a load",
            f"a new leader was elected; writes resumed {resumed:.1f} s after the kill",
            started=started,
        )
        check(verdict)

        started = time.monotonic()
        second = next(n for n in system.nodes if n.running)
        second.kill()
        asyncio.run(commit_acts(system, "state", "funding", "region-two-state", 3))
        problem = asyncio.run(try_publish(system, wait=2.0))
        assert problem is not None, "a publish without a quorum must fail, not succeed silently"
        time.sleep(2.0)
        assert asyncio.run(backlog(system)) >= 3  # the relays keep them in the outboxes
        second.start()
        first.start()
        verdict = settle(
            system,
            FUNDERS,
            "the same cluster losing a second node (no quorum), then both back",
            f"publishes failed ({problem.split(':')[0]}); outboxes kept the events; all flowed after",
            started=started,
            limit=90.0,
        )
        check(verdict)


def test_postgresql_stopped_during_a_load_then_started(tmp_path: Path) -> None:
    postgres = DedicatedPostgres()
    try:
        postgres.start()
        with deployment(tmp_path / "ess", secure=True) as system:
            system.extra_env[("state", "funding")] = {"ESS_DATABASE_URL": postgres.url}
            system.start_all(FUNDERS)
            started = time.monotonic()
            refused: list[str] = []
            loader = threading.Thread(target=load, args=(system, 30, 0.1, refused, "pg"))
            loader.start()
            time.sleep(1.0)
            postgres.stop()
            time.sleep(3.0)  # state's acts are refused, the others' events wait for its projection
            postgres.start()
            loader.join(60)
            assert refused and all(r.startswith("state") for r in refused), refused
            verdict = settle(
                system,
                FUNDERS,
                "PostgreSQL of state-funding stopped (immediate) for 3 s during a load",
                f"{len(refused)} acts refused while it was down (never accepted); batches naked with "
                "backoff, none dead-lettered; all applied once it was back",
                started=started,
                limit=90.0,
            )
            check(verdict)
            assert system.digest("state", "funding")["dead_letters"] == 0
    finally:
        postgres.close()
