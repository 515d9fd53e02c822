"""Looking through projects (`GET /projects`, issue 22): state's funding service serves region's projects
from its copy of the shared view, filtered, sorted, a page at a time, titles opened for state's staff
(searched without case or accents) and each read logged there; operators and other pilots are refused.
Against the topology `ess up` runs."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.intake_data import submission, with_value
from tests.support.system import RunningSystem, running_system

pytestmark = pytest.mark.system

PROJECTS = [
    ("Épicerie solidaire de Nantes", "44"),
    ("Garage solidaire de la Roche", "85"),
    ("Recyclerie du Mans", "72"),
]


def test_staff_look_through_projects_with_filters_pages_and_search(tmp_path: Path) -> None:
    with running_system(tmp_path / "ess") as system:
        with system.client("region", "intake") as intake:
            for title, department in PROJECTS:
                body = with_value(submission(title=title), "organisation.department", department)
                assert intake.post("/projects", json=body).status_code == 201, title
        with system.client("state", "funding") as state:
            every = listed(
                state, lambda page: page["total"] == 3 and all(p["title"] for p in page["projects"])
            )
            assert sorted(p["title"] for p in every["projects"]) == sorted(t for t, _ in PROJECTS)
            assert listed(state, params={"department": "85"})["projects"][0]["title"].startswith("Garage")
            found = listed(state, params={"q": "EPICERIE"})
            assert [p["title"] for p in found["projects"]] == ["Épicerie solidaire de Nantes"]
            second = listed(state, params={"per_page": 2, "page": 2, "sort": "department", "order": "asc"})
            assert second["total"] == 3 and [p["department"] for p in second["projects"]] == ["85"]
            refused = state.get("/projects", params={"department": "4"})
            assert refused.status_code == 422 and "department" in refused.text
        operator = {"Authorization": f"Bearer {system.token('state-operator')}"}
        with system.client("state", "funding") as state:
            assert state.get("/projects", headers=operator).status_code == 403
        with system.client("state", "funding", token_pilot="bdt") as other:
            assert other.get("/projects").status_code == 403
        assert "state" in readers(system, "state", "funding")


def listed(
    client: Any, until: Any = lambda page: True, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        answer = client.get("/projects", params=params or {})
        assert answer.status_code == 200, answer.text
        if until(page := answer.json()):
            return dict(page)
        assert time.monotonic() < deadline, page
        time.sleep(0.2)


def readers(system: RunningSystem, pilot: str, service: str) -> set[str]:
    """Who read titles at that service, from its own access log."""
    path = system.service(pilot, service).database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return {row[0] for row in db.execute("SELECT reader_pilot FROM ess_access_log")}
