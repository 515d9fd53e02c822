"""Personal data on a shared, immutable log, tried as a data-protection officer would: a holder writes a
name, an e-mail address and a phone number into a project's title. Against real nats-server and the seven
service processes: the title never reaches the broker's files or any other service's database in clear,
and every pilot's staff read it in their own copy of the project view."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ess_core.service.project_read import STAFF
from ess_ops.topology import TOPOLOGY
from tests.support.deployment import Deployment, deployment
from tests.support.intake_data import submission

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

SEVEN = list(TOPOLOGY)
NAME, EMAIL, PHONE = "Jeanne Dupont-Lefèvre", "jeanne.dupont@example.org", "06 12 34 56 78"
TITLE = f"Épicerie de {NAME} ({EMAIL}, {PHONE})"
PERSONAL = [NAME.encode(), EMAIL.encode(), PHONE.encode(), "Dupont-Lefèvre".encode("utf-16-le")]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("personal") / "ess", secure=True) as running:
        running.start_all(SEVEN)
        yield running


@pytest.fixture(scope="module")
def project_id(system: Deployment) -> str:
    with system.client("region", "intake") as intake:
        answer = intake.post("/projects", json=submission(title=TITLE))
    assert answer.status_code == 201, answer.text
    system.wait_applied(SEVEN, 2)  # submitted and qualified, everywhere
    return str(answer.json()["project_id"])


def files_holding_personal_data(root: Path) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: {needle!r}" for needle in PERSONAL if needle in data]
    return found


def test_the_title_never_reaches_the_broker_or_another_service_in_clear(
    system: Deployment, project_id: str
) -> None:
    assert files_holding_personal_data(system.nats.store_dir) == []
    # Every service but the owning intake: its whole database (tables, dead letters, parked events,
    # journal, free pages, write-ahead log) holds the box only.
    for pilot, service in SEVEN[1:]:
        database = system.state.database(pilot, service)
        assert files_holding_personal_data(database.parent / database.name) == []
        wal = database.with_name(database.name + "-wal")
        if wal.exists():
            assert files_holding_personal_data(wal) == []


def test_every_pilots_staff_read_the_title_in_their_own_copy_of_the_view(
    system: Deployment, project_id: str
) -> None:
    digests = set()
    for pilot, service in SEVEN:
        with system.client(pilot, service) as client:
            view = opened_view(client, project_id)
        assert view["record"]["title"] == TITLE, (pilot, service)
        assert view["record"]["title_erasable"] is True
        digests.add(view["digest"])
    assert len(digests) == 1  # the same sealed rows everywhere, whoever can open them


def test_another_pilots_staff_and_a_reader_without_a_token_are_refused(
    system: Deployment, project_id: str
) -> None:
    url = system.children[("region", "funding")].http_url
    state_token = system.state.token("state").read_text().strip()
    answer = httpx.get(
        f"{url}/projects/{project_id}/view", headers={"Authorization": f"Bearer {state_token}"}
    )
    assert answer.status_code == 403, answer.text
    assert httpx.get(f"{url}/projects/{project_id}/view").status_code == 401
    assert set(STAFF) == {"instructor", "decider", "admin"}  # operators watch services, not files


def opened_view(client: httpx.Client, project_id: str) -> dict[str, object]:
    """The key's copy reaches another pilot's services a moment after the act: wait for it."""
    deadline = time.monotonic() + 20
    while True:
        answer = client.get(f"/projects/{project_id}/view")
        assert answer.status_code == 200, answer.text
        view = dict(answer.json())
        if view["record"]["title"] != "[texte indisponible]" or time.monotonic() > deadline:  # type: ignore[index]
            return view
        time.sleep(0.2)
