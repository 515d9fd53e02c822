"""`ess export` then `ess verify`, as a funder's auditor would run them: the stream written to a file, then
checked offline with nothing but the trust file; genuine, forged-authority, tampered, unknown-key and
ended-key messages, and exactly the bad ones named, each with its reason."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import nats

from ess_contracts.codec import WireMessage, encode, encode_journal
from ess_contracts.event import Event
from ess_contracts.key_history import JournalMark, KeyEnd, event_hash
from ess_contracts.signing import Signer, generate_seed, sign_statement
from ess_ops.cli.export import fold_digest, judge, read_export
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support import events as ev
from tests.support.pilots import Pilots

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]


async def publish(url: str, messages: list[WireMessage]) -> list[int]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await provision(js, load_stream_config(default_stream_config_path()))
        acks = [await js.publish(m.subject, m.data, headers=dict(m.headers), stream="ESS") for m in messages]
        return [ack.seq for ack in acks]
    finally:
        await nc.close()


def bad_messages(pilots: Pilots) -> dict[str, WireMessage]:
    forged = encode(ev.event(ev.withdrawn(), "state", "intake", "region-p1", 1), pilots.signers["state"])
    genuine = encode(
        ev.event(ev.decided("d7", 7_000_00), "bdt", "funding", "region-p1", 3), pilots.signers["bdt"]
    )
    tampered = WireMessage(genuine.subject, genuine.data.replace(b"700000", b"900000"), genuine.headers)
    stranger = Signer(generate_seed())  # region's subject, a key no trust file lists
    unknown = encode(ev.event(ev.qualified(), "region", "intake", "region-p2", 2), stranger)
    return {"forged": forged, "tampered": tampered, "unknown key": unknown}


def ess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ESS), *args], capture_output=True, text=True, timeout=60, cwd=REPO)


def test_verify_names_exactly_the_bad_messages_and_folds_the_digest_of_the_genuine_ones(
    tmp_path: Path,
) -> None:
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    story = [*ev.project_story("region-p1"), *ev.followup_story("region-p1"), *ev.project_story("region-p2")]
    genuine = [ev.wire(pilots.signers, p, e) for p, e in story]
    bad = bad_messages(pilots)
    with NatsServer(tmp_path / "nats") as server:
        seqs = asyncio.run(publish(server.url, [*genuine[:4], *bad.values(), *genuine[4:]]))
        export = tmp_path / "ess.jsonl"
        written = ess("export", "--out", str(export), "--server", server.url, "--state-dir", str(tmp_path))
        assert written.returncode == 0, written.stderr
        part = tmp_path / "p2.jsonl"
        args = ("--project", "region-p2", "--server", server.url, "--state-dir", str(tmp_path))
        assert ess("export", "--out", str(part), *args).returncode == 0
    bad_seqs = dict(zip(bad, seqs[4:7], strict=True))

    checked = ess("verify", str(export), "--trust", str(trust_file), "--json")
    assert checked.returncode == 1, checked.stderr
    verdict = json.loads(checked.stdout)
    named = {f["seq"]: f["reason"] for f in verdict["findings"]}
    assert sorted(named) == sorted(bad_seqs.values()), verdict["findings"]
    assert named[bad_seqs["forged"]].startswith("not the owner of project region-p1")
    assert named[bad_seqs["tampered"]].startswith("bad signature: signature does not match the bytes")
    assert named[bad_seqs["unknown key"]].startswith("bad signature: key")
    assert verdict["messages"] == len(genuine) + len(bad) and verdict["applied"] == len(genuine)

    _, messages = read_export(export)
    only_genuine = [m for m in messages if m.stream_seq not in bad_seqs.values()]
    alone, none = asyncio.run(fold_digest(judge(only_genuine, pilots.trust)))
    assert none == [] and verdict["digest"] == alone

    project = json.loads(ess("verify", str(part), "--trust", str(trust_file), "--json").stdout)
    assert project["subjects"] == "ess.*.*.project.region-p2.*" and not project["ok"]
    assert (project["messages"], project["applied"]) == (6, 5)  # its story, and the unknown key's message
    assert [f["seq"] for f in project["findings"]] == [bad_seqs["unknown key"]]


def test_verify_judges_an_ended_key_by_its_successors_statement(tmp_path: Path) -> None:
    """Region's key is revoked after its intake signed a project's story; a copy signed two more events,
    one past the mark, one with a number region had used. The auditor's trust file lists the end: exactly
    those two are named, and what region signed before and after the end verifies."""
    pilots = Pilots.generate()
    old, new = pilots.signers["region"], Signer(generate_seed())
    before = [e for p, e in ev.project_story("region-p1") if p == "region"]
    signed = [wire for _, wire in encode_journal(before, old, 0, None)]
    statement = KeyEnd(
        pilot="region",
        key=old.public_key,
        reason="revoked",
        on=date(2026, 6, 1),
        journals={"intake": JournalMark(first=1, last=len(signed), head=event_hash(signed[-1].data))},
        successor=new.public_key,
    )
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.end_key(sign_statement(statement, new)).save(trust_file)
    after = ev.event(ev.submitted("Après la révocation"), "region", "intake", "region-p2", 1)
    ((_, continued),) = encode_journal([after], new, len(signed), event_hash(signed[-1].data))

    def stolen() -> Event:
        return ev.event(ev.withdrawn(), "region", "intake", "region-p1", len(before) + 1)

    past = encode(stolen().model_copy(update={"journal": len(signed) + 1}), old)
    reused = encode(stolen().model_copy(update={"journal": 1}), old)
    with NatsServer(tmp_path / "nats") as server:
        seqs = asyncio.run(publish(server.url, [past, *signed, reused, continued]))
        export = tmp_path / "ess.jsonl"
        written = ess("export", "--out", str(export), "--server", server.url, "--state-dir", str(tmp_path))
        assert written.returncode == 0, written.stderr

    checked = ess("verify", str(export), "--trust", str(trust_file), "--json")
    verdict = json.loads(checked.stdout)
    named = {f["seq"]: f["reason"] for f in verdict["findings"]}
    assert sorted(named) == [seqs[0], seqs[-2]], verdict["findings"]
    assert "after its last vouched journal" in named[seqs[0]] and "revoked on 2026-06-01" in named[seqs[0]]
    assert "is another event" in named[seqs[-2]]
    assert verdict["applied"] == len(signed) + 1
