"""Security at the services, as processes under per-pilot NATS identities: HTTP without a token, with an
expired one or with another pilot's; a forged event (valid subject, another pilot's payload or
signature) never applied; no personal data on the stream over a full scenario through intake's API."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ess_contracts.canonical import canonical_bytes
from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION, WireMessage, encode
from ess_contracts.event import new_event_id
from ess_core.auth.tokens import LocalIssuer
from ess_core.messaging.reader import read_stream
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.faults_checks import commit_acts
from tests.support.faults_identities import connected
from tests.support.intake_data import CONTACT, DESCRIPTION, PDF, submission

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

SERVICES = [("region", "intake"), ("region", "funding"), ("bdt", "funding")]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("security") / "ess", secure=True) as running:
        running.start_all(SERVICES)
        yield running


def call(system: Deployment, method: str, path: str, token: str | None) -> int:
    url = system.children[("region", "funding")].http_url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{url}{path}", headers=headers, timeout=30).status_code


def test_http_refuses_no_token_an_expired_one_and_another_pilots(system: Deployment) -> None:
    issuer = LocalIssuer.load(system.state.auth)
    roles = ("operator", "admin")
    expired = issuer.mint("region-op", "region", roles, ttl=timedelta(minutes=-5))
    other = issuer.mint("bdt-op", "bdt", roles)
    own = issuer.mint("region-op", "region", roles)
    for method, path in (
        ("GET", "/dlq"),
        ("POST", "/dlq/1/retry"),
        ("POST", "/republish"),
        ("GET", "/status"),
    ):
        assert call(system, method, path, None) == 401, (method, path)
        assert call(system, method, path, expired) == 401, (method, path)
    for method, path in (("POST", "/dlq/1/retry"), ("POST", "/republish"), ("POST", "/view/rebuild")):
        assert call(system, method, path, other) == 403, (method, path)
    assert call(system, "GET", "/dlq", own) == 200
    assert call(system, "POST", "/dlq/999999/retry", own) == 404


def test_a_forged_event_is_never_applied(system: Deployment) -> None:
    before = {n: system.digest(*n) for n in SERVICES}
    region, bdt = system.signers["region"], system.signers["bdt"]
    # Region's subject, but bdt's decision signed by bdt: the key does not belong to the subject's pilot.
    theirs = ev.event(ev.decided("f1", 1_000_000_00), "bdt", "funding", "p-forged", 1)
    signed_by_bdt = encode(theirs, bdt)
    forged_subject = WireMessage(
        signed_by_bdt.subject.replace("ess.bdt.", "ess.region."), signed_by_bdt.data, signed_by_bdt.headers
    )
    # Region's subject and region's signature over an envelope claiming bdt: subject and envelope disagree
    # (its own message id: the broker would drop a second Nats-Msg-Id as a duplicate).
    data = canonical_bytes(theirs)
    claimed = WireMessage(
        forged_subject.subject,
        data,
        {MSG_ID: new_event_id(), KEY: region.public_key, SIGNATURE: region.sign(data), VERSION: "1"},
    )
    asyncio.run(system.publish([("region", forged_subject), ("region", claimed)]))
    deadline = time.monotonic() + 30
    while any(system.digest(*n)["dead_letters"] < before[n]["dead_letters"] + 2 for n in SERVICES):
        assert time.monotonic() < deadline, {n: system.digest(*n) for n in SERVICES}
        time.sleep(0.2)
    for name in SERVICES:
        now = system.digest(*name)
        assert now["view_digest"] == before[name]["view_digest"], name
        assert now["applied_events"] == before[name]["applied_events"], name


def test_no_personal_data_on_the_stream_over_a_full_scenario(system: Deployment) -> None:
    intake = system.children[("region", "intake")].http_url
    token = system.state.token("region").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    body = submission(title="Recyclerie du bocage")
    answer = httpx.post(f"{intake}/projects", json=body, headers=headers, timeout=60)
    assert answer.status_code == 201, answer.text
    project_id = answer.json()["project_id"]
    asyncio.run(commit_acts(system, "region", "funding", project_id, 1))
    asyncio.run(commit_acts(system, "bdt", "funding", project_id, 1))
    time.sleep(1.0)
    messages = asyncio.run(everything_on_the_stream(system))
    ours = [m for m in messages if project_id.encode() in m]
    assert len(ours) >= 3, "the scenario's events are on the stream"
    secrets = [
        CONTACT["name"],
        CONTACT["email"],
        CONTACT["phone"],
        DESCRIPTION,
        base64.b64encode(PDF).decode(),
    ]
    for message in messages:
        text = message.decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text and json.dumps(secret)[1:-1] not in text, (secret, text[:300])
        assert PDF not in message
    import hashlib

    assert any(hashlib.sha256(PDF).hexdigest().encode() in m for m in ours), "attachments travel as hashes"


async def everything_on_the_stream(system: Deployment) -> list[bytes]:
    """Every message's headers and data, read as the read-only observer."""
    found: list[bytes] = []
    async with connected(system.nats.url, system.identities, "observer") as observer:
        async for message in read_stream(observer.nc.jetstream(), "ess.>"):
            found.append(json.dumps(message.headers).encode() + message.data)
    return found


def test_the_services_connect_as_their_pilot(system: Deployment, tmp_path: Path) -> None:
    """Each service's NATS connection is its pilot's user: the server names it in its connections."""
    import urllib.request

    with urllib.request.urlopen(f"{system.nats.monitor_url}/connz?auth=true&limit=100", timeout=5) as page:
        connections = json.loads(page.read())["connections"]
    users = {c.get("authorized_user") or c.get("nkey") for c in connections}
    keys = {system.identities.users.active(p)[0] for p in ("region", "bdt")} if system.identities else set()
    assert keys <= users, (keys, users)
