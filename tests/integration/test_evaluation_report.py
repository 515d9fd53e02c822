"""`ess strategy load --demo` and `ess report` against a running evaluation service (its own process, a real
nats-server, SQLite and PostgreSQL): the report's images exist and decode, its CSV equal its tables, its
figures equal the service's API, and the digest the service publishes matches the files written."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext

from ess_contracts.codec import encode
from tests.support.databases import BACKENDS, database_url
from tests.support.evaluation_report import check_report_dir, csv_rows
from tests.support.evaluation_scenario import story
from tests.support.evaluation_service import Keys, evaluation_service
from tests.support.harness import publish

ESS = str(Path(sys.executable).parent / "ess")


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        yield url


async def ess(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        ESS, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, out.decode()
    return out.decode()


async def test_ess_report_on_the_demo_data_writes_html_and_csv_with_the_same_figures(
    db_url: str, nats_url: str, js_stream: tuple[Any, JetStreamContext], tmp_path: Path
) -> None:
    _, js = js_stream
    keys = Keys.generate(tmp_path / "keys")
    await publish(js, [encode(e, keys.signers[p]) for p, e in story().events])
    out = tmp_path / "report"
    with evaluation_service(keys, "region", nats_url, db_url, tmp_path) as region:
        loaded = await ess("strategy", "load", "--demo", "--url", region.url, "--token", keys.token("region"))
        assert "16 definitions published" in loaded  # 5 actions, 11 indicators
        await region.settle(js)
        async with region.client() as api:
            measure = {
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "value": 27,
                "source": "network_report",
            }
            assert (await api.post("/indicators/EX-I05/measures", json=measure)).status_code == 202
            await region.settle(js)
            await ess("report", "--year", "2025", "--out", str(out), "--database", db_url)
            published = (await api.post("/reports/2025")).json()
            figures = (await api.get("/figures", params={"year": 2025})).json()
            actuals = {
                a["code"]: a for a in (await api.get("/indicators/actuals", params={"year": 2025})).json()
            }

    check_report_dir(out)
    index = (out / "index.html").read_bytes()
    assert published["report_sha256"] == hashlib.sha256(index).hexdigest()  # the same view, the same bytes
    assert "DONNÉES D&#x27;EXEMPLE" in index.decode()  # the page speaks French; its CSV keeps its keys
    summary = {r["figure"]: r["value"] for r in csv_rows(out, "summary.csv")}
    for metric, label in (
        ("projects_submitted", "submitted"),
        ("projects_funded", "funded"),
        ("jobs_planned", "jobs planned"),
    ):
        assert summary[label] == str(figures["metrics"][metric]["total"].get("all", 0))
    assert (
        summary["committed (EUR)"]
        == _euros(figures["metrics"]["funds_committed"]["total"]["all"])
        == "38000.00"
    )
    assert summary["median days to first decision"] == "57.0"
    rows = {r["indicator"]: r for r in csv_rows(out, "indicators.csv")}
    assert set(rows) == set(actuals) == {f"EX-I{n:02d}" for n in range(1, 12)}
    assert rows["EX-I02"]["actual"] == str(actuals["EX-I02"]["actual"]) == "3"  # pb, pc, pe serve O1-O3
    assert rows["EX-I05"]["actual"] == "27" and rows["EX-I05"]["status"] == "reached"
    # EX-A3 serves O10, no project objective: its indicators count every project.
    assert rows["EX-I06"]["actual"] == "38000.00" and rows["EX-I06"]["status"] == "not reached"
    assert rows["EX-I07"]["actual"] == "50.0"  # percent at scale 1: 1 plan of 2 fully funded
    assert (rows["EX-I08"]["actual"], rows["EX-I08"]["status"]) == ("57", "reached")  # 57 <= 105 days
    assert rows["EX-I04"]["actual"] == "2"  # EX-A2 serves O6, O7: pc and pe oriented in 2025
    assert rows["EX-I11"]["actual"] == "1"  # EX-A5 serves O13, O14: pc
    departments = {r["department"]: r for r in csv_rows(out, "departments.csv")}
    assert {d: departments[d]["submitted"] for d in departments} == {
        d: str(figures["metrics"]["projects_submitted"]["department"].get(d, 0))
        for d in ("44", "49", "53", "72", "85")
    }
    pilots = {r["pilot"]: r for r in csv_rows(out, "pilots.csv")}
    assert pilots["region"]["committed (EUR)"] == "28000.00"  # pb 20,000 + pe 8,000


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
