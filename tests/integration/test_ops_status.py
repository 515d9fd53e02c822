"""`ess status` as a probe: a lag, an outbox backlog and another pilot's dead letters made on purpose
are reported with their ages and the exit is non-zero; once put right, it is healthy."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import nats
import pytest
from sqlalchemy import update

from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.codec import encode
from ess_contracts.event import Event, new_event
from ess_contracts.ops import CheckpointRecorded, ProbeSent
from ess_core.messaging.db import make_engine, upsert
from ess_core.messaging.outbox import Outbox
from ess_core.messaging.schema import consumer_position, outbox
from ess_core.service.migrate import upgrade
from ess_ops.cli import runfile
from ess_ops.cli.runfile import NatsInfo, RunInfo, ServiceInfo
from ess_ops.cli.status import collect
from ess_ops.cli.status_model import Thresholds
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support.events import project_story
from tests.support.local_http import serving
from tests.support.pilots import Pilots

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]


class _Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def healthz() -> Iterator[str]:
    """A stand-in for the service's /healthz: the process answers, its database tells the rest."""
    with serving(_Healthz) as url:
        yield url


def _checkpoint(pilots: Pilots, applied: int, dead: int, minutes_ago: float) -> Event:
    figures = CheckpointRecorded(
        reporting_service="bdt-funding",
        stream_sequence=applied,
        applied_events=applied,
        view_digest="0" * 64,
        parked=0,
        dead_letters=dead,
        catalogue_version=CATALOGUE_VERSION,
        trust_hash=pilots.trust.digest,
    )
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return new_event(
        figures, pilot="bdt", service="funding", aggregate_id="funding", sequence=1, occurred_at=when
    )


async def _publish(url: str, pilots: Pilots, events: list[Event]) -> int:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await provision(js, load_stream_config(default_stream_config_path()))
        seq = 0
        for e in events:
            wire = encode(e, pilots.signers[e.pilot])
            seq = (await js.publish(wire.subject, wire.data, headers=wire.headers, stream="ESS")).seq
        return seq
    finally:
        await nc.close()


async def _shrink(url: str, *, max_bytes: int) -> None:
    nc = await nats.connect(url)
    try:
        config = (await nc.jetstream().stream_info("ESS")).config
        config.max_bytes = max_bytes
        await nc.jetstream().update_stream(config)
    finally:
        await nc.close()


def _ess_status(state: Path, *extra: str) -> tuple[int, str]:
    done = subprocess.run(
        [str(ESS), "status", "--state-dir", str(state), *extra],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
    )
    return done.returncode, done.stdout + done.stderr


def test_status_reports_lag_backlog_and_dead_letters_and_fails_then_recovers(
    tmp_path: Path, healthz: str
) -> None:
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    database = f"sqlite+aiosqlite:///{tmp_path / 'region-intake.db'}"
    with NatsServer(tmp_path / "nats") as server:
        story = [e for _, e in project_story("P-1")]
        last = asyncio.run(_publish(server.url, pilots, [*story, _checkpoint(pilots, 2, 1, 10)]))
        signer = pilots.signers["region"]

        async def prepare() -> None:
            await upgrade(database)
            engine = make_engine(database)
            async with engine.begin() as conn:  # it applied the first message only; one event waits
                row = {"consumer": "view", "stream_seq": 1, "applied_count": 1}
                await upsert(conn, consumer_position, [row], ["consumer"])
                await Outbox("region", "intake", signer).record(conn, "ops-check", [ProbeSent(note="x")])
            await engine.dispose()

        asyncio.run(prepare())
        state = tmp_path / "state"
        state.mkdir()
        info = RunInfo(
            pid=os.getpid(),
            state_dir=str(state),
            started_at=datetime.now(UTC).isoformat(),
            nats=NatsInfo(
                url=server.url, monitor_url=server.monitor_url, pid=server.pid, log="", store=str(tmp_path)
            ),
            stream="ESS",
            probe_id="probe-none",
            trust_file=str(trust_file),
            tokens={},
            services=[
                ServiceInfo(
                    pilot="region",
                    service="intake",
                    pid=os.getpid(),
                    http_url=healthz,
                    database_url=database,
                    log="region-intake.log",
                )
            ],
        )
        runfile.save(state / "run.json", info)

        code, output = _ess_status(state, "--json", "--max-lag-seconds", "0", "--max-outbox-age", "0")
        assert code == 1, output
        report = json.loads(output)
        [local] = report["services"]
        assert local["lag"] == last - 1 and local["lag_seconds"] >= 0
        assert local["outbox_backlog"] == 1 and local["outbox_oldest_age_seconds"] >= 0
        assert report["stream"]["last_seq"] == last and report["stream"]["last_event_seq"] == last - 1
        [peer] = report["peers"]
        assert (peer["pilot"], peer["service"], peer["dead_letters"]) == ("bdt", "funding", 1)
        assert peer["applied_position"] == 2 and peer["lag"] == last - 1 - 2
        assert peer["checkpoint_age_seconds"] >= 600
        problems = "\n".join(report["problems"])
        assert "region-intake: 5 stream messages behind" in problems
        assert "region-intake: 1 events not published" in problems
        assert "bdt-funding: 1 dead letters" in problems and "bdt-funding: behind the stream" in problems

        code, output = _ess_status(state)  # the table, as a person reads it
        assert code == 1 and "unhealthy" in output and "bdt-funding: 1 dead letters" in output, output
        assert "region-intake" not in output.split("problem:")[0] or "intake" in output

        async def put_right() -> None:
            engine = make_engine(database)
            async with engine.begin() as conn:
                await conn.execute(update(consumer_position).values(stream_seq=last, applied_count=last - 1))
                await conn.execute(update(outbox).values(stream_seq=last))
            await engine.dispose()

        asyncio.run(put_right())
        asyncio.run(_publish(server.url, pilots, [_checkpoint(pilots, last - 1, 0, 0)]))
        healthy = asyncio.run(collect(runfile.load(state / "run.json"), Thresholds()))
        assert healthy.healthy, healthy.problems
        assert healthy.services[0].lag == 1  # the new checkpoint: the service is about to read it
        assert healthy.peers[0].lag == 0 and healthy.peers[0].dead_letters == 0

        # Without `ess up`: the broker's stream and every service's checkpoint, nothing local.
        alone = asyncio.run(collect(None, Thresholds(), server=server.url, trust_file=trust_file))
        assert alone.healthy and alone.services == [] and [p.service for p in alone.peers] == ["funding"]

        # The stream near its byte limit: unhealthy before it refuses anyone's events.
        limits = {limit.limit: limit for limit in alone.stream.limits}
        assert limits["bytes"].maximum == 1 << 30 and not limits["bytes"].alarm
        asyncio.run(_shrink(server.url, max_bytes=int(limits["bytes"].used / 0.82)))
        near = asyncio.run(collect(None, Thresholds(), server=server.url, trust_file=trust_file))
        [problem] = near.problems
        assert problem.startswith("stream ESS: bytes at 82% of its limit") and "raise it" in problem, problem
