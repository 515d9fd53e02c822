"""Authority, attacked as a pilot acting in bad faith would: with nothing but its own, valid NATS login and
signing key, against the seven service processes. A valid signature proves who spoke, not that they had
the right to: every forgery is dead-lettered by all seven with "not the owner", and no view changes."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest

from ess_contracts.authority import owned_id
from ess_contracts.codec import WireMessage, encode
from ess_ops.nats.provision import provision
from ess_ops.topology import TOPOLOGY
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment, stream_config
from tests.support.faults_checks import reference_digest
from tests.support.faults_identities import connected
from tests.support.intake_data import submission

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

SEVEN = list(TOPOLOGY)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("authority") / "ess", secure=True) as running:
        running.start_all(SEVEN)
        yield running


def forgeries(system: Deployment, victim: str, late: str) -> list[tuple[str, WireMessage]]:
    """Each signed by its sender's own key and published with its own NATS login."""
    state, bdt = system.signers["state"], system.signers["bdt"]
    return [
        ("state", encode(ev.event(ev.withdrawn(), "state", "intake", victim, 1), state)),
        ("state", encode(ev.event(ev.submitted("Titre usurpé"), "state", "intake", victim, 2), state)),
        ("bdt", encode(ev.event(ev.submitted("Création usurpée"), "bdt", "intake", late, 1), bdt)),
        ("state", encode(ev.event(ev.decided("d9", 1_000_00), "state", "funding", "p-no-owner", 1), state)),
        ("state", encode(ev.event(ev.checkpoint_for("region-funding"), "state", "ops", "funding", 1), state)),
    ]


def project_row(system: Deployment, pilot: str, service: str, project_id: str) -> tuple[str, str, str]:
    database = system.state.database(pilot, service)
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT title_key, status, intake_pilot FROM view_project WHERE project_id = ?", (project_id,)
        ).fetchone()
    assert row is not None, (pilot, service, project_id)
    return tuple(row)


def dead_letter_reasons(system: Deployment, pilot: str, service: str) -> list[str]:
    with system.client(pilot, service) as client:
        answer = client.get("/dlq")
        answer.raise_for_status()
        return [item["reason"] for item in answer.json()["items"] if item["kind"] == "dead"]


def test_another_pilots_project_cannot_be_rewritten_by_a_pilot_with_its_own_credentials(
    system: Deployment,
) -> None:
    token = system.state.token("region").read_text().strip()
    url = system.children[("region", "intake")].http_url
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(f"{url}/projects", json=submission(title="Recyclerie du bocage"), headers=headers)
    assert answer.status_code == 201, answer.text
    victim = answer.json()["project_id"]
    assert victim.startswith("region-"), victim
    system.wait_applied(SEVEN, 2)  # submitted and qualified
    before = {name: project_row(system, *name, victim) for name in SEVEN}
    title_key = before[SEVEN[0]][0]  # sealed by region's intake with its own key
    assert title_key.startswith("region-")
    assert set(before.values()) == {(title_key, before[SEVEN[0]][1], "region")}

    late = owned_id("region")  # bdt's forged creation arrives before region's genuine one
    genuine = ev.event(ev.submitted("Le vrai projet"), "region", "intake", late, 1)
    genuine_title = genuine.payload.project.title.key  # type: ignore[union-attr]
    forged = forgeries(system, victim, late)
    asyncio.run(system.publish([*forged, ("region", encode(genuine, system.signers["region"]))]))

    deadline = time.monotonic() + 60
    for name in SEVEN:
        while sum(r.startswith("not the owner") for r in dead_letter_reasons(system, *name)) < len(forged):
            assert time.monotonic() < deadline, (name, dead_letter_reasons(system, *name))
            time.sleep(0.2)
    system.wait_applied(SEVEN, 3)
    for name in SEVEN:
        reasons = dead_letter_reasons(system, *name)
        assert len(reasons) == len(forged), (name, reasons)
        withdrawal = f"{victim}: it is region's intake's; state's intake may not emit project_withdrawn"
        assert any(withdrawal in r for r in reasons), reasons
        assert any("p-no-owner: the id names no pilot" in r for r in reasons)
        assert any("checkpoint region-funding: state reports on state-funding only" in r for r in reasons)
        assert project_row(system, *name, victim) == before[name]
        assert project_row(system, *name, late) == (genuine_title, "submitted", "region")
    digests = {system.digest(*name)["view_digest"] for name in SEVEN}
    assert digests == {reference_digest(system)}

    # The stream lost, then rebuilt from the journals in another order: the forgeries were never in a
    # journal (the outbox refuses them), and a fold of the new stream alone gives the same digest.
    asyncio.run(delete_and_provision(system))
    for name in reversed(SEVEN):
        done = system.ess(*name, "republish")
        assert done.returncode == 0 and "published again" in done.stdout, done.stdout + done.stderr
    late_creation = ("region", encode(genuine, system.signers["region"]))  # the test spoke as region's intake
    asyncio.run(system.publish([late_creation]))
    assert {reference_digest(system)} == digests
    assert {system.digest(*name)["view_digest"] for name in SEVEN} == digests


async def delete_and_provision(system: Deployment) -> None:
    async with connected(system.nats.url, system.identities, "operator") as operator:
        await operator.js.delete_stream("ESS")
        await provision(operator.nc.jetstream(), stream_config())
