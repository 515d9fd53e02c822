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
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from ess_contracts.event import Event
from ess_contracts.funding import OPINION_REMARK_FIELD, ProjectOpinionGiven
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


REMARK = f"Gérante : {NAME}, {PHONE}"


@pytest.fixture(scope="module")
def project_id(system: Deployment) -> str:
    """A project whose title names a person, and a funder's opinion whose remark does too."""
    with system.client("region", "intake") as intake:
        answer = intake.post("/projects", json=submission(title=TITLE))
    assert answer.status_code == 201, answer.text
    project_id = str(answer.json()["project_id"])
    system.wait_applied(SEVEN, 2)  # submitted and qualified, everywhere
    with system.client("region", "funding") as funding:
        opinion = funding.post(f"/projects/{project_id}/opinions", json=opinion_with_remark())
    assert opinion.status_code == 201, opinion.text
    system.wait_applied(SEVEN, 3)
    return project_id


def opinion_with_remark() -> dict[str, Any]:
    lines = [
        {"code": "L1", "category": "staff", "eligible_amount": 80_000_00},
        {"code": "L2", "category": "premises", "eligible_amount": 40_000_00},
    ]
    return {
        "opinion_id": "op1",
        "given_on": date.today().isoformat(),
        "outcome": "favourable",
        "eligible_total": 120_000_00,
        "eligible_lines": lines,
        "self_financing": 0,
        "in_kind": 0,
        "remark": REMARK,
    }


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
    remark = opinion_remark(system, project_id)
    assert remark.owner == "region" and every_key_left(system, remark.key) == ["region-funding"]
    context = context_of(project_id, TITLE_FIELD)
    assert sum(opens(title, s, context) == TITLE for s in all_data_keys(system)) >= 2  # the author's, a copy
    done = erase(system, CONTACT["email"])
    assert [p["project_id"] for p in done["projects"]] == [project_id]
    assert done["projects"][0]["destroyed_keys"] == [key]
    digests = set()
    for pilot, service in SEVEN:  # each acknowledges: the request reached it, its own keys are gone
        with system.client(pilot, service) as client:
            view = erased_view(client, project_id)
        assert view["record"]["title"] == "[texte effacé]", (pilot, service)
        assert view["erasure_requests"] == [done["request_id"]], (pilot, service)
        assert view["own_keys_left"] == 0, (pilot, service)
    # submitted, qualified, the opinion; intake's destruction and request; region funding's destruction
    system.wait_applied(SEVEN, 6)
    for pilot, service in SEVEN:
        with system.client(pilot, service) as client:
            digests.add(client.get(f"/projects/{project_id}/view").json()["digest"])
    assert len(digests) == 1
    # region's funding destroyed its remark's key on its own, and signed it
    with system.client("bdt", "funding") as client:
        assert remark.key in erased_view(client, project_id)["erased_keys"]

    assert every_key_left(system, key) == every_key_left(system, remark.key) == []  # no copy, anywhere
    for secret in all_data_keys(system):
        with pytest.raises(CannotOpen):
            open_box(title, secret, context_of(project_id, TITLE_FIELD))
        with pytest.raises(CannotOpen):
            open_box(remark, secret, context_of(project_id, OPINION_REMARK_FIELD))
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


def opens(box: Sealed, secret: bytes, context: str) -> str | None:
    try:
        return open_box(box, secret, context)
    except CannotOpen:
        return None


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
    """The service's view once it has carried out the erasure (its acknowledgement, as `ess privacy
    erase` waits for it), or as it stands after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        answer = client.get(f"/projects/{project_id}/view")
        view = dict(answer.json()) if answer.status_code == 200 else {}
        done = (
            view.get("erasure_requests") and view.get("own_keys_left") == 0 and view["record"]["title_erased"]
        )
        if done or time.monotonic() > deadline:
            return view
        time.sleep(0.2)


def opinion_remark(system: Deployment, project_id: str) -> Sealed:
    """The opinion's remark as region's funding journal signed it."""
    with sqlite3.connect(system.state.database("region", "funding")) as db:
        rows = db.execute("SELECT data FROM ess_outbox WHERE aggregate_id = ?", (project_id,)).fetchall()
    payloads = [Event.model_validate_json(bytes(row[0])).payload for row in rows]
    remark = next(p.remark for p in payloads if isinstance(p, ProjectOpinionGiven))
    assert remark is not None
    return remark


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
