"""The generated NATS configs, run with the real nats-server binary on loopback: three nodes form a
JetStream cluster over mutual TLS, take the stream with three replicas, enforce each pilot's
permissions, refuse plain-text and anonymous clients, and keep serving when one node stops."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js import JetStreamContext

from ess_ops.deploy.files import PilotFolder
from ess_ops.nats.provision import (
    ProvisionError,
    await_leader,
    default_stream_config_path,
    load_stream_config,
    provision,
)
from tests.support.federation import LoopbackFederation, loopback_federation

STREAM = "ESS"


@pytest.fixture
def federation(tmp_path: Path) -> LoopbackFederation:  # type: ignore[misc]
    with loopback_federation(tmp_path / "federation") as running:
        yield running


async def provision_replicated(running: LoopbackFederation) -> None:
    config = dataclasses.replace(load_stream_config(default_stream_config_path()), num_replicas=3)
    async with running.connect("operator", running.made.operator_seed) as operator:
        await provision(operator.jetstream(timeout=10), config)


def seed(running: LoopbackFederation, pilot: str) -> Path:
    return PilotFolder(running.made.root / pilot).nats_seed


async def test_the_generated_configs_form_a_replicated_cluster(federation: LoopbackFederation) -> None:
    for pilot in federation.processes:
        assert federation.peers(pilot) == {f"ess-{p}" for p in federation.processes if p != pilot}
        cluster = federation.monitor(pilot, "/varz")["cluster"]
        assert cluster["tls_required"] and cluster["tls_verify"], "routes must run over mutual TLS"
    await provision_replicated(federation)
    async with federation.connect("region", seed(federation, "region")) as region:
        js = region.jetstream(timeout=10)
        info = await await_leader(js, STREAM)
        assert info.config.num_replicas == 3
        assert info.cluster is not None and info.cluster.leader in {"ess-region", "ess-state", "ess-bdt"}
        assert len(info.cluster.replicas or []) == 2
        ack = await js.publish("ess.region.intake.probe", b"{}")
        assert ack.stream == STREAM


async def test_a_pilot_publishes_only_its_own_subjects(federation: LoopbackFederation) -> None:
    await provision_replicated(federation)
    async with federation.connect("state", seed(federation, "state")) as state:
        await state.jetstream(timeout=5).publish("ess.state.funding.x", b"{}")
        await state.publish("ess.region.intake.forged", b"{}")
        await state.flush()
        for _ in range(50):
            if state.errors:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.1)
        assert any("permissions violation" in str(e).lower() for e in state.errors), state.errors  # type: ignore[attr-defined]


async def test_plain_text_and_anonymous_clients_are_refused(federation: LoopbackFederation) -> None:
    port = federation.node("region").client_port
    with pytest.raises((NoServersError, OSError, TimeoutError, ssl.SSLError)):
        await nats.connect(
            f"nats://127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=1, connect_timeout=2
        )
    with pytest.raises(Exception, match=r"(?i)authorization"):
        async with federation.connect("nobody", None, federation.client_url("region")):
            pass


async def test_the_cluster_keeps_accepting_events_with_one_node_stopped(
    federation: LoopbackFederation,
) -> None:
    await provision_replicated(federation)
    federation.stop("bdt")
    async with federation.connect(
        "region", seed(federation, "region"), federation.client_url("region")
    ) as region:
        js = region.jetstream(timeout=10)
        for n in range(20):
            await publish_as_a_relay_does(js, f"ess.region.intake.e{n}", f"e{n}")
        federation.start("bdt")
        federation.wait_ready()
        info = await await_leader(js, STREAM)
        assert info.state.messages == 20
    async with federation.connect("bdt", seed(federation, "bdt"), federation.client_url("bdt")) as bdt:
        for _ in range(100):  # the restarted replica catches up from the others
            info = await bdt.jetstream(timeout=10).stream_info(STREAM)
            replicas = {r.name: r for r in (info.cluster.replicas or [])} if info.cluster else {}
            if info.cluster and (
                info.cluster.leader == "ess-bdt" or (replicas.get("ess-bdt") and replicas["ess-bdt"].current)
            ):
                break
            await asyncio.sleep(0.1)
        assert info.state.messages == 20


STEP_DOWN_S = 60.0  # a leader without quorum steps down (raft) well within this, even on a loaded machine


async def test_provisioning_says_when_the_stream_has_no_leader(federation: LoopbackFederation) -> None:
    """With two of its three nodes down the stream cannot elect a leader: `ess provision` says so, instead
    of reporting a stream that does not serve. The leader is stopped first, but leadership can move
    between the read and the stop (seen under two test runs at once), and a node that still leads answers
    as leader until it notices it lost its quorum: asked again, it says no leader within STEP_DOWN_S."""
    await provision_replicated(federation)
    async with federation.connect("operator", federation.made.operator_seed) as operator:
        leader = (await await_leader(operator.jetstream(timeout=10), STREAM)).cluster.leader  # type: ignore[union-attr]
    survivor = next(pilot for pilot in federation.processes if f"ess-{pilot}" != leader)
    for pilot in [p for p in federation.processes if p != survivor]:
        federation.stop(pilot)
    async with federation.connect(
        survivor, seed(federation, survivor), federation.client_url(survivor)
    ) as alone:
        deadline = time.monotonic() + STEP_DOWN_S
        while True:
            try:
                await await_leader(alone.jetstream(timeout=10), STREAM, limit=3)
            except ProvisionError as exc:
                assert "stream ESS: no leader after 3 s" in str(exc), exc
                break
            assert time.monotonic() < deadline, f"the lone node still leads ESS after {STEP_DOWN_S} s"
            await asyncio.sleep(1)


async def publish_as_a_relay_does(
    js: JetStreamContext, subject: str, msg_id: str, limit: float = 20.0
) -> None:
    """Until the PubAck, with the same message id: while the stream's replicas elect a new leader (the
    stopped node may have led it), the cluster answers 'no responders' or nothing for a few seconds."""
    deadline = time.monotonic() + limit
    while True:
        try:
            await js.publish(subject, b"{}", headers={"Nats-Msg-Id": msg_id}, timeout=2)
            return
        except NatsError:  # no responders, no response from the stream, a timeout
            assert time.monotonic() < deadline, f"{subject} not accepted within {limit} s"
            await asyncio.sleep(0.2)


async def test_ess_commands_log_in_from_the_environment(
    federation: LoopbackFederation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ess view digest`, `ess project show`, `ess status` against a federation: a pilot's seed and the
    authorities from ESS_* variables, over TLS to any node."""
    from ess_ops.cli.broker import connect, reader_login

    await provision_replicated(federation)
    monkeypatch.setenv("ESS_PILOT", "bdt")
    monkeypatch.setenv("ESS_NATS_SEED_FILE", str(seed(federation, "bdt")))
    monkeypatch.setenv("ESS_NATS_CA_FILE", str(federation.made.ca_file))
    nowhere = federation.made.root / "no-ess-up-here"  # no observer seed: the environment decides
    async with connect(federation.client_url(), reader_login(nowhere)) as nc:
        info = await await_leader(nc.jetstream(timeout=10), STREAM)
        assert info.config.num_replicas == 3
    monkeypatch.delenv("ESS_NATS_SEED_FILE")
    with pytest.raises(Exception, match=r"(?i)authorization"):
        async with connect(federation.client_url(), reader_login(nowhere)):
            pass
