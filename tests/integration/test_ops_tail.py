"""`ess tail`: the matching events of a scenario, exactly, in order, across a broker restart; a message
that does not verify is shown marked, never dropped."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import nats
import pytest

from ess_contracts.canonical import canonical_bytes
from ess_contracts.codec import encode
from ess_contracts.event import Event
from ess_contracts.ops import ProbeSent
from ess_ops.cli.tail import Line, StartAt, TailFilter, parse_from, summarize, tail
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support.events import decided, event, project_story, qualified, submitted
from tests.support.pilots import Pilots

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 20.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of our own: the test restarts it (a container backend cannot be restarted here)."""
    with NatsServer(tmp_path / "nats") as running:
        yield running


async def _publish(url: str, pilots: Pilots, events: list[Event], *, provision_first: bool = False) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        if provision_first:
            await provision(js, load_stream_config(default_stream_config_path()))
        for e in events:
            wire = encode(e, pilots.signers[e.pilot])
            await js.publish(wire.subject, wire.data, headers=wire.headers, stream="ESS")
    finally:
        await nc.close()


async def _publish_forged(url: str, pilots: Pilots, e: Event) -> None:
    """Signed by bdt's key but under region's subject: must show as unverified."""
    wire = encode(e, pilots.signers["bdt"])
    nc = await nats.connect(url)
    try:
        await nc.jetstream().publish(wire.subject, wire.data, headers=wire.headers, stream="ESS")
    finally:
        await nc.close()


def _read_lines(stream: IO[str], count: int, proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    lines = []
    deadline = time.monotonic() + WAIT_S
    while len(lines) < count:
        assert time.monotonic() < deadline, f"only {len(lines)} of {count} lines: {lines}"
        text = stream.readline()
        if not text:
            assert proc.poll() is None, (
                f"ess tail exited {proc.returncode}: {proc.stderr and proc.stderr.read()}"
            )
            continue
        lines.append(json.loads(text))
    return lines


def test_tail_json_with_filters_prints_exactly_the_matching_events_across_a_broker_restart(
    server: NatsServer, tmp_path: Path
) -> None:
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    story_a = [e for _, e in project_story("region-P-A")]  # region intake x2, state funding x2, bdt funding
    story_b = [e for _, e in project_story("region-P-B")]
    first = [*story_a, event(submitted("Autre"), "region", "intake", "region-P-C", 1)]
    asyncio.run(_publish(server.url, pilots, first, provision_first=True))

    # region and state, funding decisions and intake submissions, projects A and B (not C)
    wanted_types = ("project_submitted", "project_decision_recorded")
    command = [str(ESS), "tail", "--json", "--from", "1", "--server", server.url]
    command += ["--trust-file", str(trust_file), "--pilot", "region,state", "--project", "region-P-A"]
    command += ["--project", "region-P-B", "--type", ",".join(wanted_types)]

    def wanted(e: Event) -> bool:
        return (
            e.pilot in ("region", "state")
            and e.aggregate_id in ("region-P-A", "region-P-B")
            and e.type in wanted_types
        )

    second = [*story_b, event(qualified(), "region", "intake", "region-P-C", 2)]
    forged = event(decided("d9", 1_00), "region", "funding", "region-P-B", 1, 30)
    expected_first = [e.id for e in first if wanted(e)]
    expected_second = [e.id for e in second if wanted(e)]
    total = len(expected_first) + len(expected_second) + 1  # + the forged one, shown unverified
    command += ["--limit", str(total)]

    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        before = _read_lines(proc.stdout, len(expected_first), proc)
        server.restart()
        asyncio.run(_publish(server.url, pilots, second))
        asyncio.run(_publish_forged(server.url, pilots, forged))
        after = _read_lines(proc.stdout, total - len(expected_first), proc)
        assert proc.wait(WAIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [line["id"] for line in before] == expected_first
    assert [line["id"] for line in after[:-1]] == expected_second
    seqs = [line["seq"] for line in before + after]
    assert seqs == sorted(set(seqs)), "in stream order, none twice"
    assert all(line["verified"] for line in before + after[:-1])
    assert before[0]["payload"]["type"] == "project_submitted" and before[0]["pilot"] == "region"
    unverified = after[-1]
    assert unverified["verified"] is False and "bad signature" in unverified["reason"]
    assert unverified["subject"] == forged.subject
    # The signature as received, so that a reader can check it again (canonical bytes of the envelope).
    for line in before + after[:-1]:
        fields = {k: v for k, v in line.items() if k not in ("seq", "verified", "key", "signature")}
        data = canonical_bytes(Event.model_validate(fields))
        pilots.trust.verify(line["pilot"], line["key"], data, line["signature"])
    assert unverified["key"] == pilots.signers["bdt"].public_key and unverified["signature"]


def test_filter_subject_is_the_narrowest_one() -> None:
    assert TailFilter().subject() == "ess.>"
    assert TailFilter.of(pilots=["region"]).subject() == "ess.region.*.*.*.*"
    assert TailFilter.of(projects=["P1"]).subject() == "ess.*.*.project.P1.*"
    assert TailFilter.of(types=["project_submitted"]).subject() == "ess.*.intake.project.*.project_submitted"
    two = TailFilter.of(types=["project_submitted", "project_decision_recorded"])
    assert two.subject() == "ess.*.*.project.*.*"
    assert (
        TailFilter.of(types=["checkpoint_recorded"]).subject() == "ess.*.*.checkpoint.*.checkpoint_recorded"
    )
    assert two.matches("ess.bdt.funding.project.X.project_decision_recorded")
    assert not two.matches("ess.bdt.funding.project.X.project_opinion_given")
    assert (
        TailFilter.of(types=["nope"]).check()
        and TailFilter.of(types=["session_recorded"], projects=["P"]).check()
    )


def test_from_reads_a_sequence_or_a_time() -> None:
    assert parse_from("42") == StartAt(seq=42)
    assert parse_from(None) == StartAt()
    assert parse_from("2026-04-15").time is not None and parse_from("2026-04-15").time.hour == 0  # type: ignore[union-attr]
    assert parse_from("2026-04-15T10:00+02:00").time.hour == 8  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="stream sequence"):
        parse_from("yesterday")


def test_a_line_is_short_and_readable() -> None:
    e = event(
        submitted("Un titre de projet bien trop long pour une ligne"), "region", "intake", "region-P-1", 1
    )
    line = Line(7, e.occurred_at, e.subject, e).as_text()
    assert "#7" in line and "region" in line and "project/region-P-1" in line and "project_submitted" in line
    assert len(summarize(e.payload)) <= 72
    assert summarize(ProbeSent(note="hello there")) == 'note="hello there"'


async def test_live_tail_starts_after_what_is_there(server: NatsServer, tmp_path: Path) -> None:
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    old = event(submitted(), "region", "intake", "region-P-OLD", 1)
    await _publish(server.url, pilots, [old], provision_first=True)
    seen: list[Line] = []
    reader = asyncio.create_task(tail(server.url, trust_file, TailFilter(), StartAt(), seen.append, limit=1))
    new = event(submitted(), "region", "intake", "region-P-NEW", 1)
    for _ in range(100):  # the live reader opens after the old event: publish until it shows the new one
        await asyncio.sleep(0.05)
        if reader.done():
            break
        if _ == 10:
            await _publish(server.url, pilots, [new])
    assert await asyncio.wait_for(reader, WAIT_S) == 1
    assert [line.event.id for line in seen if line.event] == [new.id]


async def test_from_a_time_starts_at_the_first_event_stored_after_it(
    server: NatsServer, tmp_path: Path
) -> None:
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    before = event(submitted(), "region", "intake", "region-P-BEFORE", 1)
    after = [event(submitted(), "region", "intake", f"region-P-AFTER-{i}", 1) for i in range(2)]
    await _publish(server.url, pilots, [before], provision_first=True)
    await asyncio.sleep(0.3)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.3)
    await _publish(server.url, pilots, after)
    seen: list[Line] = []
    shown = await tail(server.url, trust_file, TailFilter(), StartAt(time=cut), seen.append, until_idle=1.0)
    assert shown == 2 and [line.event.id for line in seen if line.event] == [e.id for e in after]
    assert [line.seq for line in seen] == [2, 3]
