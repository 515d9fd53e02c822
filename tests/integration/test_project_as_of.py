"""Time travel: a project folded from its signed events on the stream, cut at a stream sequence or a
business date; uncut, it equals what a service's live view holds for that project."""

from __future__ import annotations

from pathlib import Path

from ess_core.service.migrate import upgrade
from ess_ops.cli.project import project_as_of
from ess_views.project import project_digest
from tests.support import events as ev
from tests.support.databases import database_url
from tests.support.harness import ViewHolder, publish
from tests.support.pilots import Pilots


async def test_project_now_and_as_of_a_sequence_or_a_date(tmp_path: Path, js_stream: tuple) -> None:
    nc, js = js_stream
    pilots = Pilots.generate()
    trust_file = tmp_path / "trust.json"
    pilots.trust.trust.save(trust_file)
    story = ev.project_story("region-p1") + ev.project_story("region-p2")
    last = await publish(js, [ev.wire(pilots.signers, p, e) for p, e in story])
    url = nc.connected_url.geturl()

    now = await project_as_of(url, trust_file, "region-p1", None, {})
    assert now.record is not None and now.record["status"] == "qualified"
    assert sorted((d["pilot"], d["decision_id"]) for d in now.decisions) == [
        ("bdt", "d1"),
        ("state", "d1"),
        ("state", "d2"),
    ]
    assert [t["type"] for t in now.timeline][:2] == ["project_submitted", "project_qualified"]

    before_funding = await project_as_of(url, trust_file, "region-p1", "2", {})
    assert before_funding.record is not None and before_funding.decisions == []
    assert before_funding.record["status"] == "qualified"

    mid_april = await project_as_of(url, trust_file, "region-p1", "2026-04-15", {})
    assert sorted(d["decision_id"] for d in mid_april.decisions) == ["d1", "d1"]  # d2 is decided 2026-05-01
    assert len({now.digest, before_funding.digest, mid_april.digest}) == 3

    async with database_url("sqlite", tmp_path) as db_url:
        await upgrade(db_url)
        live = await ViewHolder.start(db_url, js, pilots, "region-funding")
        await live.catch_up(last)
        async with live.engine.connect() as conn:
            assert await project_digest(conn, "region-p1") == now.digest
        await live.close()
