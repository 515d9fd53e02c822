"""A pilot's signing key leaks. Whoever holds the copy signs as that pilot, valid signatures every one,
and the seven service processes apply it. The pilot revokes the key (`ess keys revoke`): its own
journals vouch for what it signed, its next key signs the statement. Once every service runs with the
trust file that lists it, what the thief signed is dead-lettered everywhere, before or after the end, and
the services that had applied it fold their views again: same digests as a fold of the stream alone."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ess_contracts.authority import owned_id
from ess_contracts.codec import encode
from ess_contracts.key_history import event_hash
from ess_contracts.signing import Signer, TrustFile
from ess_ops.topology import TOPOLOGY
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.faults_checks import reference_digest
from tests.support.intake_data import submission

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

SEVEN = list(TOPOLOGY)
REGION = [name for name in SEVEN if name[0] == "region"]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("key-lifetime") / "ess", secure=True) as running:
        running.start_all(SEVEN)
        yield running


def submit(system: Deployment, title: str) -> str:
    token = system.state.token("region-admin").read_text().strip()
    url = system.children[("region", "intake")].http_url
    answer = httpx.post(
        f"{url}/projects", json=submission(title=title), headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["project_id"])


def journal_head(system: Deployment) -> tuple[int, str]:
    with sqlite3.connect(system.state.database("region", "intake")) as db:
        journal, data = db.execute(
            "SELECT journal, data FROM ess_outbox ORDER BY journal DESC LIMIT 1"
        ).fetchone()
    return int(journal), event_hash(data)


def status(system: Deployment, name: tuple[str, str], project_id: str) -> str | None:
    with sqlite3.connect(system.state.database(*name)) as db:
        row = db.execute("SELECT status FROM view_project WHERE project_id = ?", (project_id,)).fetchone()
    return None if row is None else str(row[0])


def dead_letter_reasons(system: Deployment, name: tuple[str, str]) -> list[str]:
    with system.client(*name) as client:
        answer = client.get("/dlq")
        answer.raise_for_status()
        return [item["reason"] for item in answer.json()["items"] if item["kind"] == "dead"]


def wait_for(condition: object, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def ess(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "ess"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_what_a_stolen_key_signs_never_counts_once_its_pilot_revokes_it(system: Deployment) -> None:
    victim = submit(system, "Épicerie solidaire du Layon")
    system.wait_applied(SEVEN, 2)  # submitted and qualified, signed and numbered by region's intake
    genuine = {name: status(system, name, victim) for name in SEVEN}
    copy = Signer(system.state.seed("region").read_text().strip())  # the thief's copy of region's key
    last, _ = journal_head(system)
    withdrawal = ev.event(ev.withdrawn(), "region", "intake", victim, 3)
    past_the_mark = withdrawal.model_copy(update={"journal": last + 10_000, "previous": None})
    own = owned_id("region")
    creation = ev.event(ev.submitted("Projet du voleur"), "region", "intake", own, 1)
    used_number = creation.model_copy(update={"journal": last, "previous": None})  # region's last act's
    asyncio.run(
        system.publish([("region", encode(past_the_mark, copy)), ("region", encode(used_number, copy))])
    )
    for name in SEVEN:  # a valid key, a valid authority: before the end is known, every service applies it
        wait_for(lambda name=name: status(system, name, victim) == "withdrawn", f"{name} withdrawn")
        wait_for(lambda name=name: status(system, name, own) is not None, f"{name} stolen project")

    for name in REGION:
        system.stop(*name)
    last, head = journal_head(system)  # checkpoints went on meanwhile
    revoked = ess("keys", "revoke", "--pilot", "region", "--state-dir", str(system.state.root))
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert f"region.intake: journal 1 to {last} vouched" in revoked.stdout, revoked.stdout
    trust = TrustFile.load(system.state.trust_file)
    ended = trust.pilots["region"][0].ended
    assert ended is not None and ended.reason == "revoked" and ended.journals["intake"].head == head
    for name in SEVEN:
        if name not in REGION:
            system.stop(*name)
    system.start_all(
        SEVEN
    )  # region's services on the new seed; everyone on the trust file that lists the end

    later = submit(system, "Recyclerie du Thouet")  # signed by region's new key, journal after the mark
    after = ev.event(ev.withdrawn(), "region", "intake", later, 3)  # the copy, still at work
    asyncio.run(system.publish([("region", encode(after.model_copy(update={"journal": last + 1}), copy))]))
    for name in SEVEN:
        wait_for(lambda name=name: status(system, name, later) == genuine[name], f"{name}: new key project")
        wait_for(lambda name=name: len(dead_letter_reasons(system, name)) >= 3, f"{name}: three dead letters")
        reasons = " | ".join(dead_letter_reasons(system, name))
        assert reasons.count("after its last vouched journal") == 2, reasons
        assert "is another event" in reasons and "revoked on" in reasons, reasons
        assert status(system, name, victim) == genuine[name], name  # folded again without the forgery
        assert status(system, name, own) is None, name
    digests = {system.digest(*name)["view_digest"] for name in SEVEN}
    assert digests == {reference_digest(system)}, digests
