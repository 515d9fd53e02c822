"""`ess up --demo` as a newcomer runs it: the printed console lists the demo projects, a project's page
shows the over-funding alert, the three pilots hold the same plan; run again on the same state dir, it
adds nothing.

Every wait is bounded; whatever the test started is stopped in teardown (only this run's processes)."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ess_ops.demo.projects import PROJECTS
from tests.support.scdl import errors_of, validate
from tests.system.test_ess_up import ESS, REPO, alive

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

LOAD_LIMIT_S = 120.0  # ess up and the demo: about 20 s on a quiet 2-core machine
STOP_LIMIT_S = 15.0


class Up:
    """One `ess up --demo` on a state dir, its output in a file."""

    def __init__(self, state: Path, output: Path) -> None:
        self.state, self.output = state, output
        with output.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(ESS), "up", "--demo", "--state-dir", str(state)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        self.pids: list[int] = []

    def text(self) -> str:
        return self.output.read_text()

    def wait_loaded(self) -> dict[str, Any]:
        """The demo's summary (demo.json) once this run printed it."""
        deadline = time.monotonic() + LOAD_LIMIT_S
        while "Demo loaded" not in self.text():
            assert self.proc.poll() is None, f"ess up exited with {self.proc.returncode}:\n{self.text()}"
            assert "the demo did not load" not in self.text(), self.text()
            assert time.monotonic() < deadline, f"no demo after {LOAD_LIMIT_S} s:\n{self.text()}"
            time.sleep(0.2)
        info = json.loads((self.state / "run.json").read_text())
        self.pids = [s["pid"] for s in info["services"]] + [info["nats"]["pid"]]
        return json.loads((self.state / "demo.json").read_text())

    def info(self) -> dict[str, Any]:
        return json.loads((self.state / "run.json").read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_LIMIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self.pids:  # only what this run started, and only if it failed to stop them
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[list[Up]]:
    started: list[Up] = []
    try:
        yield started
    finally:
        for up in started:
            up.stop()


def test_demo_shows_in_the_console_and_loads_once(runs: list[Up], tmp_path: Path) -> None:
    state = tmp_path / "ess"
    began = time.monotonic()
    runs.append(Up(state, tmp_path / "first.out"))
    first = runs[0].wait_loaded()
    took = time.monotonic() - began
    print(f"\ness up --demo: the demo loaded {took:.1f} s after the start ({first['seconds']} s of it)")
    info = runs[0].info()
    console = info["consoles"]["region"]
    deadline = time.monotonic() + 10  # the summary's lines may reach the file after "Demo loaded"
    while f"{console}/projets" not in runs[0].text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"{console}/projets" in runs[0].text()  # the printed address
    assert len(first["projects"]) == len(PROJECTS) and first["projects_new"] == len(PROJECTS)
    assert first["funding_acts"] > 50 and first["reviews"] == 2 and first["session"]
    assert "de_minimis" in first["de_minimis"]["refusal"], first["de_minimis"]
    over = first["over_funding"]["project_id"]

    with httpx.Client(base_url=console, timeout=10) as browser:
        sign_in(browser, "region-instructor")
        listed = listing(browser)
        assert {p.title for p in PROJECTS} <= listed, {p.title for p in PROJECTS} - listed
        page = html.unescape(browser.get(f"/projets/{over}").text)
        assert "Statut du plan : surfinancé" in page and "Surfinancement" in page, page
    assert len(same_plan(info, state, over)) == 1
    published = {pilot: open_data(state, pilot, tmp_path) for pilot in ("region", "state", "bdt")}
    assert published["region"] and published["state"], published  # the demo's grants, as SCDL rows

    runs[0].stop()
    runs.append(Up(state, tmp_path / "second.out"))
    second = runs[1].wait_loaded()
    assert second["projects"] == first["projects"]  # the same projects, none submitted again
    assert (second["projects_new"], second["networks_new"], second["funding_acts"]) == (0, 0, 0), second
    assert (second["reviews"], second["session"], second["strategy_loaded"]) == (0, False, False), second
    assert second["over_funding"].get("already") and second["de_minimis"].get("already")
    with httpx.Client(base_url=runs[1].info()["consoles"]["region"], timeout=10) as browser:
        sign_in(browser, "region-instructor")
        assert f"{len(PROJECTS)} projets" in browser.get("/projets").text


def open_data(state: Path, pilot: str, tmp_path: Path) -> int:
    """The pilot's subsidies of the year as its SCDL file, valid against the official schema and its
    custom checks: how many rows."""
    out = tmp_path / f"subventions-{pilot}.csv"
    year = str(datetime.now(UTC).year)  # the demo dates its acts today (UTC)
    command = [str(ESS), "opendata", "subsidies", "--pilot", pilot, "--year", year, "--out", str(out)]
    command += ["--state-dir", str(state)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    report = validate(out)
    assert report.valid, errors_of(report)
    return len(out.read_text(encoding="utf-8").splitlines()) - 1


def listing(browser: httpx.Client) -> set[str]:
    """Every title the console's project list shows, page after page."""
    titles: set[str] = set()
    for number in range(1, 5):
        page = browser.get("/projets", params={"page_number": number})
        assert page.status_code == 200, page.text
        titles |= {html.unescape(t) for t in re.findall(r'<a href="/projets/[^"]+">([^<]+)</a>', page.text)}
        if f"page {number} sur {number}" in page.text:
            break
    return titles


def same_plan(info: dict[str, Any], state: Path, project_id: str) -> set[str]:
    """The plan's digest at each pilot's funding service, once each shows the over-funding."""
    deadline = time.monotonic() + 20
    while True:
        digests, statuses = set(), []
        for s in (s for s in info["services"] if s["service"] == "funding"):
            token = (state / "tokens" / f"{s['pilot']}-instructor.jwt").read_text().strip()
            plan = httpx.get(
                f"{s['http_url']}/projects/{project_id}/plan",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            ).json()
            digests.add(plan["digest"])
            statuses.append(plan["status"]["status"])
        if len(digests) == 1 and statuses == ["over_funded"] * 3:
            return digests
        assert time.monotonic() < deadline, (digests, statuses)
        time.sleep(0.2)


def sign_in(browser: httpx.Client, person: str) -> None:
    page = browser.get("/connexion")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "no CSRF token in the sign-in form"
    signed = browser.post("/connexion", data={"person": person, "csrf": found.group(1)})
    assert signed.status_code == 303, signed.text
