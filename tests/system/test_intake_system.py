"""Intake as a pilot runs it: `ess up` starts the topology as processes; an operator submits a file with
`ess submit` and reads it with `ess project file`; every other pilot's service folds the project."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.intake_data import CONTACT, DESCRIPTION, submission, with_value
from tests.support.scdl import errors_of, validate
from tests.support.system import ESS, REPO, RunningSystem, running_system

pytestmark = pytest.mark.system


def ess(system: RunningSystem, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(ESS), *args, "--state-dir", str(system.state_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESS_")} | {"COLUMNS": "200"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)


def view_status(system: RunningSystem, pilot: str, service: str, project_id: str) -> str | None:
    path = system.service(pilot, service).database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute("SELECT status FROM view_project WHERE project_id = ?", (project_id,)).fetchone()
    return row[0] if row else None


def test_ess_submit_and_project_file_against_the_running_topology(tmp_path: Path) -> None:
    file, bad = tmp_path / "projet.json", tmp_path / "mauvais.json"
    file.write_text(json.dumps(submission(title="Recyclerie du bocage")), encoding="utf-8")
    bad.write_text(
        json.dumps(with_value(submission(), "organisation.siret", "73282932000075")), encoding="utf-8"
    )
    with running_system(tmp_path / "ess") as system:
        first = ess(system, "submit", str(file))
        assert first.returncode == 0, first.stderr
        assert "submitted" in first.stdout and "/follow/" in first.stdout
        again = ess(system, "submit", str(file), "--json")
        project_id = json.loads(again.stdout)["project_id"]
        assert project_id in first.stdout

        refused = ess(system, "submit", str(bad))
        assert refused.returncode == 1 and "organisation.siret: invalid SIRET Luhn key" in refused.stderr

        shown = ess(system, "project", "file", project_id)
        assert shown.returncode == 0, shown.stderr
        assert "Recyclerie du bocage" in shown.stdout and "La Fabrique Commune" in shown.stdout
        history = json.loads(ess(system, "project", "file", project_id, "--json").stdout)["history"]
        assert [h["type"] for h in history] == ["project_submitted", "project_qualified"]

        with system.client("region", "intake", token_pilot="state") as other_pilot:  # holds instructor
            assert other_pilot.get(f"/projects/{project_id}").status_code == 200
            assert other_pilot.get(f"/projects/{project_id}/access-log").status_code == 403

        read_log = json.loads(ess(system, "privacy", "access-log", "--project", project_id, "--json").stdout)
        # `ess project file` above read the file twice (the table, then --json), then state's staff once
        assert [e["reader_pilot"] for e in read_log] == ["region", "region", "state"]
        assert "contact" in read_log[0]["fields"]

        link = json.loads(ess(system, "intake", "link", "issue", project_id, "--json").stdout)["follow_link"]
        revoked = ess(system, "intake", "link", "revoke", project_id)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
        with httpx.Client(base_url=system.service("region", "intake").http_url) as holder:
            gone = holder.get(link)
        assert gone.status_code == 410 and "révoqué" in gone.json()["detail"]["reason"]
        deadline = time.monotonic() + 30
        while any(
            view_status(system, p, "funding", project_id) != "qualified" for p in ("region", "state", "bdt")
        ):
            assert time.monotonic() < deadline, "the pilots' funding services did not fold the project"
            time.sleep(0.2)

        # Each command acts as the pilot's person whose role its route needs, never as one holding all:
        # state's instructor asks for funding; state's decider, named with --as, may not.
        body = {
            "request_id": "r1",
            "requested_on": str(date.today()),
            "instrument": "grant",
            "amount": 5_000_000,
        }
        act = ("funding", "act", "requests", project_id, "--pilot", "state", "--data", json.dumps(body))
        asked = ess(system, *act)
        assert asked.returncode == 0, asked.stderr
        refused = ess(system, *act, "--as", "state-decider")
        assert refused.returncode == 1 and "403 forbidden: role 'instructor' required" in refused.stderr

        # GDPR art. 16 on request: one field rectified in the file; a new title is sealed under a new key,
        # the old key destroyed, so every pilot's view shows the new title and the old one erased.
        rectify = ("privacy", "rectify", "--project", project_id)
        phone = ess(system, *rectify, "--field", "contact.phone", "--value", "02 40 11 22 33")
        assert phone.returncode == 0 and "contact.phone rectified" in phone.stdout, phone.stderr
        titled = ess(
            system, *rectify, "--field", "project.title", "--value", "Recyclerie solidaire du bocage"
        )
        assert titled.returncode == 0, titled.stderr
        file = json.loads(ess(system, "project", "file", project_id, "--json").stdout)["file"]
        assert file["contact"]["phone"] == "0240112233"  # as intake keeps a phone number
        assert file["project"]["title"] == "Recyclerie solidaire du bocage"
        with system.client("state", "funding") as state_funding:
            view = wait_view(state_funding, project_id, lambda v: len(v["erased_keys"]) == 1)
        assert view["record"]["title"] == "Recyclerie solidaire du bocage"
        unknown = ess(system, *rectify, "--field", "project.budget", "--value", "0")
        assert unknown.returncode == 1 and "--field 'project.budget': one of" in unknown.stderr

        # Open data: state's grant, once decided, is in its SCDL subsidies file under the holder's
        # registered name, which the stream carried; no title, no contact, before or after an erasure.
        published = publish_state_grant(system, project_id, tmp_path / "subventions-etat.csv")
        assert "La Fabrique Commune" in published and "50000.00" in published
        erased = ess(system, "privacy", "erase", "--subject", CONTACT["email"])
        assert erased.returncode == 0, erased.stderr
        assert publish_state_grant(system, project_id, tmp_path / "apres-effacement.csv") == published


def publish_state_grant(system: RunningSystem, project_id: str, out: Path) -> str:
    """State's decision on the project (once), then its open data file of the year, checked against the
    official schema and stripped of anything personal: the text of the file."""
    today = date.today()
    decision = {
        "decision_id": "d1",
        "request_id": "r1",
        "decided_on": str(today),
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": 5_000_000,
        "gross_grant_equivalent": 5_000_000,
        "state_aid_basis": "not_state_aid",
        "legal_right_on": str(today),
    }
    act = ("funding", "act", "decisions", project_id, "--pilot", "state", "--data", json.dumps(decision))
    if not out.name.startswith("apres"):
        decided = ess(system, *act)
        assert decided.returncode == 0, decided.stderr
    command = ("opendata", "subsidies", "--pilot", "state", "--year", str(today.year), "--out", str(out))
    deadline = time.monotonic() + 30
    while (done := ess(system, *command)).returncode != 0 or "1 subsidies" not in done.stdout:
        assert time.monotonic() < deadline, done.stdout + done.stderr
        time.sleep(0.3)
    report = validate(out)
    assert report.valid, errors_of(report)
    text = out.read_text(encoding="utf-8")
    personal = (CONTACT["name"], CONTACT["email"], "Recyclerie", DESCRIPTION[:20])
    assert not [p for p in personal if p in text], text
    return text


def wait_view(
    client: httpx.Client, project_id: str, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while not ready(view := client.get(f"/projects/{project_id}/view").json()):
        assert time.monotonic() < deadline, view
        time.sleep(0.2)
    return dict(view)
