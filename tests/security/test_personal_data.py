"""Personal data on a shared, immutable log, tried as a data-protection officer would: a holder writes a
name, an e-mail address and a phone number into a project's title. Against real nats-server and the seven
service processes: the title never reaches the broker's files or any other service's database in clear,
and every pilot's staff read it in their own copy of the project view."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import CannotOpen, Sealed, context_of, open_box, open_data_key, private_key
from ess_contracts.signing import TrustFile, TrustStore
from ess_core.privacy.key_store import STREAM as KEY_STREAM
from ess_core.service.project_read import STAFF
from ess_ops.cli.export import Verdict, export, verify
from ess_ops.topology import TOPOLOGY
from tests.support.deployment import Deployment, deployment
from tests.support.faults_identities import connected
from tests.support.intake_data import CONTACT, submission

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


def test_an_erasure_on_request_leaves_no_key_that_opens_the_title(
    system: Deployment, project_id: str, tmp_path: Path
) -> None:
    """GDPR art. 17, by `ess privacy erase`: region's intake destroys the title's key and signs it; all
    seven services then show the title erased, with equal digests, a rebuilt one too; no key left in any
    database, the key store or any pilot's private key opens the box."""
    key, box = sealed_title_row(system, "state", "funding", project_id)
    title = Sealed(key=key, box=box)
    assert [open_box(title, s, context_of(project_id, TITLE_FIELD)) for s in all_data_keys(system)].count(
        TITLE
    ) >= 2
    done = erase(system, CONTACT["email"])
    assert [p["project_id"] for p in done["projects"]] == [project_id]
    assert done["projects"][0]["destroyed_keys"] == [key]
    digests = set()
    for pilot, service in SEVEN:
        with system.client(pilot, service) as client:
            view = erased_view(client, project_id)
        assert view["record"]["title"] == "[texte effacé]", (pilot, service)
        digests.add(view["digest"])
    assert len(digests) == 1

    assert every_key_left(system, key) == []  # no copy of the destroyed key, anywhere
    for secret in all_data_keys(system):
        with pytest.raises(CannotOpen):
            open_box(title, secret, context_of(project_id, TITLE_FIELD))
    with system.client("region", "intake") as intake:
        file = intake.get(f"/projects/{project_id}").json()
    assert file["contact"]["email"] is None and file["project"]["description"] == ""

    verdict = asyncio.run(verified_export(system, tmp_path / "ess.jsonl"))  # the stream still verifies
    assert verdict.ok and not verdict.findings, verdict.findings
    assert verdict.digest == system.digest("bdt", "evaluation")["view_digest"]

    with system.client("state", "funding") as client:  # a service rebuilt afterwards: erased still
        assert client.post("/view/rebuild").status_code == 202
        system.wait_applied([("state", "funding")], 3)  # submitted, qualified, key destroyed
        assert erased_view(client, project_id)["record"]["title_erased"] is True


async def verified_export(system: Deployment, path: Path) -> Verdict:
    """`ess export` then `ess verify`, offline, against the trust file: signatures, authority, digests."""
    async with connected(system.nats.url, system.identities, "operator") as operator:
        with path.open("w", encoding="utf-8") as out:
            await export(operator.js, out)
    return await verify(path, TrustStore(TrustFile.load(system.state.trust_file)))


def erase(system: Deployment, subject: str) -> dict[str, Any]:
    token = system.state.token("region")
    url = system.children[("region", "intake")].http_url
    command = [str(Path(sys.executable).parent / "ess"), "privacy", "erase", "--subject", subject, "--json"]
    done = subprocess.run(
        [*command, "--url", url, "--token-file", str(token)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def sealed_title_row(system: Deployment, pilot: str, service: str, project_id: str) -> tuple[str, str]:
    with sqlite3.connect(system.state.database(pilot, service)) as db:
        row = db.execute(
            "SELECT title_key, title_box FROM view_project WHERE project_id = ?", (project_id,)
        ).fetchone()
    return str(row[0]), str(row[1])


def all_data_keys(system: Deployment) -> list[bytes]:
    """Every data key any service still holds, and every copy in the key store any pilot can open."""
    secrets = []
    for pilot, service in SEVEN:
        with sqlite3.connect(system.state.database(pilot, service)) as db:
            secrets += [bytes(row[0]) for row in db.execute("SELECT secret FROM ess_data_key")]
    return secrets + asyncio.run(key_store_copies(system))


async def key_store_copies(system: Deployment) -> list[bytes]:
    opened = []
    async with connected(system.nats.url, system.identities, "operator") as operator:
        info = await operator.js.stream_info(KEY_STREAM, subjects_filter=">")
        for subject in info.state.subjects or {}:
            message = await operator.js.get_last_msg(KEY_STREAM, subject)
            recipient = subject.rsplit(".", 1)[1]
            if message.data:
                private = private_key(system.state.encryption_key(recipient).read_text())
                opened.append(open_data_key(message.data, private))
    return opened


def every_key_left(system: Deployment, key: str) -> list[str]:
    found = []
    for pilot, service in SEVEN:
        with sqlite3.connect(system.state.database(pilot, service)) as db:
            if db.execute("SELECT 1 FROM ess_data_key WHERE key_id = ?", (key,)).fetchone():
                found.append(f"{pilot}-{service}")
    return found


def erased_view(client: httpx.Client, project_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        answer = client.get(f"/projects/{project_id}/view")
        view = dict(answer.json()) if answer.status_code == 200 else {}
        if view.get("record", {}).get("title_erased") or time.monotonic() > deadline:
            return view
        time.sleep(0.2)


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
