"""A service joins from another pilot's snapshot instead of replaying the stream (docs/snapshots.md), on
`ess up`'s three pilots as processes: every service signs checkpoints at the agreed positions, state's
funding service writes snapshots there, and region's funding service, its views dropped, loads one
(`ess view bootstrap region-funding --from state`) and replays only the tail, ending on the digests of
all the others. A hostile pilot serving a snapshot with a row changed, a future event marked as applied
or a parked event dropped is refused each time, with the reason, and the service replays the whole
stream instead."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from ess_contracts.signing import Signer
from ess_ops.cli.services import Child, spawn, stop_all, wait_healthy
from ess_ops.topology import StateDir
from tests.support import events as ev
from tests.support.faults_identities import Identities, publish_as_pilots
from tests.support.local_http import serving
from tests.support.system import RunningSystem, running_system
from tests.system.test_view_digest import digest_report, ess, wait_applied

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

EVERY = 30
Lines = list[Any]


def story(first: int, count: int) -> list[tuple[str, Any]]:
    """Projects' stories; project 3 misses state's first decision, so its second waits parked."""
    told = [e for n in range(first, first + count) for e in ev.project_story(f"region-j{n:02d}")]
    gap = [i for i, (p, e) in enumerate(told) if p == "state" and e.aggregate_id == "region-j03"][:1]
    return [e for i, e in enumerate(told) if i not in gap]


async def publish(system: RunningSystem, events: list[tuple[str, Any]]) -> int:
    """Returns how many were published."""
    signers = {
        p: Signer((system.state_dir / "keys" / f"{p}.seed").read_text().strip())
        for p in ("region", "state", "bdt")
    }
    identities = Identities.make(system.state_dir / "keys")
    messages = [(p, ev.wire(signers, p, e)) for p, e in events]  # type: ignore[arg-type]
    await publish_as_pilots(system.nats_url, identities, messages)
    return len(messages)


def snapshot_positions(system: RunningSystem, pilot: str, limit: float = 60) -> list[int]:
    deadline = time.monotonic() + limit
    with system.client(pilot, "funding", f"{pilot}-operator") as client:
        while True:
            found = [item["position"] for item in client.get("/snapshots").json()]
            if found:
                return sorted(found)
            assert time.monotonic() < deadline, f"{pilot}-funding wrote no snapshot"
            time.sleep(0.3)


def bootstrap(system: RunningSystem, target: str, pilot: str, url: str) -> httpx.Response:
    """Ask region's `target` service to join from `pilot`'s snapshot at `url`."""
    body = {"pilot": pilot, "url": url, "token": system.token("region-operator")}
    with system.client("region", target, "region-admin") as client:
        return client.post("/view/bootstrap", json=body, timeout=120)


def read_snapshot(path: Path) -> list[Lines]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def write_snapshot(lines: list[Lines], path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.writelines(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def rows_of(lines: list[Lines], table: str) -> tuple[int, list[str], list[int]]:
    """The index of `table`'s section line, its columns and the indexes of its rows."""
    start = next(i for i, line in enumerate(lines) if isinstance(line, dict) and line.get("table") == table)
    rows = []
    for i in range(start + 1, len(lines)):
        if isinstance(lines[i], dict):
            break
        rows.append(i)
    return start, lines[start]["columns"], rows


def row_changed(lines: list[Lines], _: Path) -> None:
    _, columns, rows = rows_of(lines, "view_project_decision")
    amount = next(c for c in columns if "amount" in c)
    row = lines[rows[0]]
    row[columns.index(amount)] += 100


def future_event_applied(lines: list[Lines], future: Path) -> None:
    """An event the stream holds after the position, marked as already applied: never to be folded."""
    _, columns, rows = rows_of(lines, "ess_applied")
    event_id, stream_seq = json.loads(future.read_text())
    row = [event_id if c == "event_id" else stream_seq for c in columns]
    lines.insert(rows[-1] + 1, row)
    lines[0]["tables"]["ess_applied"] += 1


def parked_dropped(lines: list[Lines], _: Path) -> None:
    _, _, rows = rows_of(lines, "ess_parked")
    assert rows, "the story leaves an event parked"
    del lines[rows[0]]
    lines[0]["tables"]["ess_parked"] -= 1


@contextmanager
def hostile_pilot(snapshot: Path, position: int) -> Iterator[str]:
    """A pilot's service that serves one (tampered) snapshot over HTTP, whatever the token."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/snapshots":
                body = json.dumps([{"position": position}]).encode()
            elif self.path == f"/snapshots/{position}":
                body = snapshot.read_bytes()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url


def a_future_event(system: RunningSystem, position: int) -> tuple[str, int]:
    database = system.state_dir / "data" / "bdt-funding.db"
    with sqlite3.connect(database) as db:
        found = db.execute(
            "SELECT event_id, stream_seq FROM ess_applied WHERE stream_seq > ? ORDER BY stream_seq LIMIT 1",
            (position,),
        ).fetchone()
    assert found, "events after the position"
    return str(found[0]), int(found[1])


@contextmanager
def fourth_service(system: RunningSystem, pilot: str, service: str, source: str) -> Iterator[Child]:
    """A service the run did not start, joining at start-up from `source`'s snapshot
    (`ESS_BOOTSTRAP_FROM`), reading there with an operator token of its own pilot."""
    state = StateDir(system.state_dir)
    env = state.service_env(pilot, service, system.nats_url, state.auth / "issuer.pub.pem")
    database = system.state_dir / "data" / f"fourth-{pilot}-{service}.db"
    env["ESS_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    env["ESS_BOOTSTRAP_FROM"] = f"{source}={system.service(source, 'funding').http_url}"
    env["ESS_BOOTSTRAP_TOKEN_FILE"] = system.info.tokens[f"{pilot}-operator"]
    env["ESS_LOG_LEVEL"] = "INFO"  # the join is told at INFO
    child = spawn(pilot, service, env["ESS_DATABASE_URL"], system.state_dir / "logs" / "fourth.log", env)
    try:
        exited, pending = wait_healthy([child], 60, lambda: False)
        assert not exited and not pending, child.describe_exit("before it answered")
        yield child
    finally:
        stop_all([child])


def assert_agreement(system: RunningSystem, limit: float = 60) -> None:
    """Every service's checkpoint now (asked of all at once): the same events applied, one digest."""
    _, before = digest_report(system)
    seen = {s["service"]: s["checkpoint_seq"] for s in before["services"]}
    assert ess("view", "checkpoint", state=system.state_dir).returncode == 0
    names = [s.name for s in system.info.services]
    deadline = time.monotonic() + limit
    while True:
        _, report = digest_report(system)
        latest = {s["service"]: s["checkpoint_seq"] for s in report["services"]}
        if all(latest.get(n, 0) > seen.get(n, 0) for n in names):
            break
        assert time.monotonic() < deadline, f"no new checkpoint from every service: {latest}"
        time.sleep(0.3)
    assert report["agree"], report
    assert len({(s["applied_events"], s["view_digest"]) for s in report["services"]}) == 1, report


def test_a_service_joins_from_a_vouched_snapshot_and_refuses_hostile_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESS_AGREED_EVERY", str(EVERY))
    monkeypatch.setenv("ESS_SNAPSHOT_EVERY", "1")
    with running_system(tmp_path / "ess") as system:
        with system.client("region", "intake", "region-operator") as client:
            before = client.get("/view/digest").json()["applied_events"]  # ess up's probe
        published = before + asyncio.run(publish(system, story(0, 12)))
        assert published > EVERY
        wait_applied(system, published - 1)  # the parked one waits
        snapshot_positions(system, "state")

        joined = ess("view", "bootstrap", "region-funding", "--from", "state", state=system.state_dir)
        assert joined.returncode == 0, joined.stdout + joined.stderr
        told = " ".join(joined.stdout.split())  # as the terminal's width wrapped it
        said = re.search(r"at stream sequence (\d+) \((\d+) events.*vouched for by (.*);", told)
        assert said, joined.stdout
        position, applied = int(said[1]), int(said[2])
        assert position % EVERY == 0 and applied > 0
        assert {name.strip().split("-")[0] for name in said[3].split(",")} == {"region", "bdt"}
        genuine = tmp_path / "genuine.ndjson.gz"
        with system.client("state", "funding", "state-operator") as client:
            genuine.write_bytes(client.get(f"/snapshots/{position}").content)

        published += asyncio.run(publish(system, story(12, 4)))  # the tail, and events after the position
        wait_applied(system, published - 1)
        assert_agreement(system)

        future = tmp_path / "future.json"
        future.write_text(json.dumps(a_future_event(system, position)))
        for tamper, reason in (
            (row_changed, "view digest"),
            (future_event_applied, "bookkeeping digest"),
            (parked_dropped, "bookkeeping digest"),
        ):
            lines = read_snapshot(genuine)
            tamper(lines, future)
            hostile = tmp_path / f"{tamper.__name__}.ndjson.gz"
            write_snapshot(lines, hostile)
            with hostile_pilot(hostile, position) as url:
                refused = bootstrap(system, "intake", "state", url)
            assert refused.status_code == 409, refused.text
            assert reason in refused.json()["detail"]["reason"], refused.text
            wait_applied(system, published - 1)  # replayed from the first event instead
        assert_agreement(system)

        with fourth_service(system, "state", "intake", source="region") as fourth:
            headers = {"Authorization": f"Bearer {system.token('state-operator')}"}
            with httpx.Client(base_url=fourth.http_url, headers=headers, timeout=30) as client:
                expected = published - 1
                deadline = time.monotonic() + 60
                while client.get("/view/digest").json()["applied_events"] < expected:
                    assert time.monotonic() < deadline, "the fourth service did not reach the head"
                    time.sleep(0.3)
            assert "joined from region's snapshot" in fourth.log_path.read_text()
            assert_agreement(system)
