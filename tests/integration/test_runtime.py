"""The embedded nats-server and the provisioning of the ESS stream, against a real server."""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType

from ess_ops.nats import natsserver
from ess_ops.nats.natsserver import NatsServer, PortInUse
from ess_ops.nats.provision import (
    ProvisionError,
    await_leader,
    default_stream_config_path,
    load_stream_config,
    provision,
)

Stream = tuple[Client, JetStreamContext]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_server_answers_jetstream_account_info(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().account_info()
        assert info.streams == 0
    finally:
        await nc.close()


def test_generated_config_syncs_always_and_listens_on_loopback(tmp_path: Path) -> None:
    with NatsServer(tmp_path, extra_config="max_payload: 2MB") as server:
        text = server.config_path.read_text()
        assert "sync_interval: always" in text
        assert f'listen: "127.0.0.1:{server.port}"' in text
        assert "max_payload: 2MB" in text
        assert server.url == f"nats://127.0.0.1:{server.port}"
        assert server.log_path.read_text().count("Server is ready") == 1


async def test_provision_creates_the_stream(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        report = await provision(js, load_stream_config(default_stream_config_path()))
        assert report.outcome == "created"
        config = (await js.stream_info("ESS")).config
        assert config.subjects == ["ess.>"]
        assert config.storage == StorageType.FILE
        assert config.deny_delete and config.deny_purge
        assert not config.allow_rollup_hdrs
        assert config.allow_direct
        assert config.duplicate_window == 2 * 3600
        assert (config.max_msgs, config.max_bytes, config.max_age) == (-1, 1 << 30, 0)
    finally:
        await nc.close()


async def test_waiting_for_a_leader_of_a_missing_stream_says_so_at_once(js_stream: Stream) -> None:
    _, js = js_stream
    with pytest.raises(ProvisionError, match="stream NOPE: not found"):
        await await_leader(js, "NOPE", limit=60)  # no 60 s wait: the test's own timeout would show it
    assert (await await_leader(js, "ESS", limit=5)).config.name == "ESS"  # one server: no cluster, served


async def test_provision_twice_is_unchanged(js_stream: Stream) -> None:
    _, js = js_stream
    report = await provision(js, load_stream_config(default_stream_config_path()))
    assert report.outcome == "unchanged"
    assert report.drifts == ()


async def test_drift_is_reported_then_repaired(js_stream: Stream) -> None:
    _, js = js_stream
    desired = load_stream_config(default_stream_config_path())
    live = (await js.stream_info("ESS")).config
    await js.update_stream(live.evolve(max_msgs_per_subject=5, description="changed by hand"))

    dry = await provision(js, desired, apply=False)
    assert dry.outcome == "drift"
    assert {(d.field, d.live, d.desired) for d in dry.drifts} == {
        ("max_msgs_per_subject", 5, -1),
        ("description", "changed by hand", desired.description),
    }
    assert (await js.stream_info("ESS")).config.max_msgs_per_subject == 5

    fixed = await provision(js, desired)
    assert fixed.outcome == "updated"
    assert fixed.drifts == dry.drifts
    assert (await js.stream_info("ESS")).config.max_msgs_per_subject == -1
    assert (await provision(js, desired)).outcome == "unchanged"


async def test_a_refused_update_is_a_clear_error(js_stream: Stream) -> None:
    _, js = js_stream
    desired = load_stream_config(default_stream_config_path()).evolve(storage=StorageType.MEMORY)
    with pytest.raises(ProvisionError, match="refused the update"):
        await provision(js, desired)


async def test_stream_denies_delete_and_purge(js_stream: Stream) -> None:
    _, js = js_stream
    ack = await js.publish("ess.region.intake.project.p1.submitted", b"{}")
    with pytest.raises(nats.js.errors.APIError):
        await js.delete_msg("ESS", ack.seq)
    with pytest.raises(nats.js.errors.APIError):
        await js.purge_stream("ESS")
    assert (await js.stream_info("ESS")).state.messages == 1


async def test_repeated_msg_id_is_a_duplicate(js_stream: Stream) -> None:
    _, js = js_stream
    headers = {"Nats-Msg-Id": str(uuid.uuid4())}
    subject = "ess.region.intake.project.p1.submitted"
    first = await js.publish(subject, b"{}", headers=dict(headers), stream="ESS")
    second = await js.publish(subject, b"{}", headers=dict(headers), stream="ESS")
    assert not first.duplicate
    assert second.duplicate is True
    assert second.seq == first.seq


def test_unknown_stream_config_fields_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "stream.json"
    path.write_text(json.dumps({"name": "ESS", "subjekts": ["ess.>"]}))
    with pytest.raises(ProvisionError, match="subjekts"):
        load_stream_config(path)


def test_taken_port_gives_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = NatsServer(tmp_path, port=port)
        with pytest.raises(PortInUse, match=str(port)):
            server.start()
        assert not server.running


def test_server_exiting_early_gives_port_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with NatsServer(tmp_path / "a") as first:
        monkeypatch.setattr(natsserver, "port_is_free", lambda port, host="127.0.0.1": True)
        second = NatsServer(tmp_path / "b", port=first.port)
        with pytest.raises(PortInUse, match="address already in use"):
            second.start()
        assert not second.running
        assert first.running


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = NatsServer(tmp_path)
    server.start()
    pid = server.pid
    assert pid is not None and pid_alive(pid)
    server.stop()
    assert not pid_alive(pid)
    assert not server.running


def test_owned_work_dir_is_deleted_on_close() -> None:
    with NatsServer() as server:
        work_dir = server.work_dir
        assert server.store_dir.is_dir()
    assert not work_dir.exists()


async def stored_messages(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return (await nc.jetstream().stream_info("ESS")).state.messages
    finally:
        await nc.close()


async def test_restart_keeps_stored_messages(tmp_path: Path) -> None:
    with NatsServer(tmp_path) as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await provision(js, load_stream_config(default_stream_config_path()))
            for i in range(3):
                await js.publish(f"ess.bdt.funding.project.p{i}.committed", b"{}")
        finally:
            await nc.close()
        port, monitor_port, pid = server.port, server.monitor_port, server.pid

        server.restart()
        assert (server.port, server.monitor_port) == (port, monitor_port)
        assert server.pid != pid
        assert await stored_messages(server.url) == 3

        server.kill()
        server.restart()
        assert await stored_messages(server.url) == 3
