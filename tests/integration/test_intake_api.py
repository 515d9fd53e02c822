"""The intake service's acceptance tests, against a real nats-server and both databases: events on the
stream exactly once, 422s naming each field, duplicates, concurrent idempotent retries, 403s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlalchemy import func, select

from ess_contracts.codec import decode
from ess_contracts.signing import TrustFile, TrustStore
from ess_core.messaging.schema import outbox
from ess_intake.adapters.tables import project
from ess_intake.entrypoints.http.errors import FILE_BODY, SMALL_BODY
from ess_views.project import project as project_view
from tests.support.databases import BACKENDS, database_url
from tests.support.intake_data import INVALID_FIELDS, OTHER_SIRET, network, submission, with_value
from tests.support.intake_service import IntakeService, intake_service, stream_messages, subject_counts

Running = tuple[IntakeService, JetStreamContext]


@pytest.fixture(params=BACKENDS)
async def running(
    request: pytest.FixtureRequest, tmp_path: Path, nats_url: str, js_stream: Any
) -> AsyncIterator[Running]:
    _, js = js_stream
    async with (
        database_url(request.param, tmp_path) as url,
        intake_service(url, tmp_path, nats_url, start=True) as svc,
    ):
        yield svc, js


async def count(svc: IntakeService, table: Any) -> int:
    async with svc.runtime.engine.connect() as conn:
        return (await conn.scalar(select(func.count()).select_from(table))) or 0


async def test_a_valid_submission_yields_its_events_on_the_stream_exactly_once(running: Running) -> None:
    svc, js = running
    admin = svc.client()
    assert (await admin.post("/networks", json=network("accompagnement-44"))).status_code == 201
    holder = svc.client(("holder",), subject="holder-1")
    first = await holder.post("/projects", json=submission(), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["objectives"] == ["O1", "O13", "O14"] and answer["oriented_to"] == ["accompagnement-44"]
    again = await holder.post("/projects", json=submission(), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json() == answer
    assert again.headers["Idempotent-Replayed"] == "true"
    await svc.published()

    pid = answer["project_id"]
    counts = await subject_counts(js, f"ess.region.intake.project.{pid}.*")
    assert counts == {
        f"ess.region.intake.project.{pid}.project_submitted": 1,
        f"ess.region.intake.project.{pid}.project_qualified": 1,
        f"ess.region.intake.project.{pid}.project_oriented": 1,
    }
    trust = TrustStore(TrustFile.load(svc.runtime.settings.trust_file))
    events = [
        decode(s, d, h, trust) for s, d, h in await stream_messages(js, f"ess.region.intake.project.{pid}.*")
    ]
    assert [(e.type, e.sequence) for e in events] == [
        ("project_submitted", 1),
        ("project_qualified", 2),
        ("project_oriented", 3),
    ]
    assert events[0].payload.project.budget.total == 120_000_50  # type: ignore[union-attr]
    await _folded(svc, pid)


async def _folded(svc: IntakeService, pid: str) -> None:
    """The service's own projection folds its events back into the shared project view (bounded wait)."""
    for _ in range(200):
        async with svc.runtime.engine.connect() as conn:
            status = await conn.scalar(select(project_view.c.status).where(project_view.c.project_id == pid))
        if status == "oriented":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"project {pid} not folded into the view (status {status})")


async def test_each_invalid_field_gets_a_422_that_names_it(running: Running) -> None:
    svc, _ = running
    holder = svc.client(("holder",))
    for path, value, field, rule in INVALID_FIELDS:
        response = await holder.post("/projects", json=with_value(submission(), path, value))
        assert response.status_code == 422, (path, response.text)
        named = {e["field"]: e["msg"] for e in response.json()["detail"]}
        assert field in named and rule in named[field], (path, named)
    for raw in (b"{not json", b"[]", b'"text"'):
        response = await holder.post("/projects", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, raw
    too_big = with_value(submission(), "project.description", "x" * (FILE_BODY + 1))
    assert (await holder.post("/projects", json=too_big)).status_code == 413
    assert (await svc.client().post("/networks", json=network("n", name="x" * SMALL_BODY))).status_code == 413
    assert await count(svc, project) == 0
    assert await count(svc, outbox) == 0


VARIANTS = [
    "TIERS-LIEU DE LA LOIRE",
    "Tiers lieu de la Loire !",
    "  tiers-lieu   de la loire ",
    "Tiérs-Lieu, de là Loire",
]


async def test_a_duplicate_of_an_open_project_gets_409_with_its_id(running: Running) -> None:
    """Case, accent, punctuation and spacing variants of an open project's title, same SIRET: 409."""
    svc, _ = running
    holder = svc.client(("holder",), subject="holder-1")
    original = (await holder.post("/projects", json=submission())).json()["project_id"]
    for variant in VARIANTS:
        duplicate = await holder.post("/projects", json=submission(title=variant))
        assert duplicate.status_code == 409, variant
        assert duplicate.json()["detail"] == {
            "error": "duplicate",
            "reason": f"an open project with this SIRET and title exists: {original}",
            "existing_project_id": original,
        }
    other_holder = with_value(submission(title=VARIANTS[0]), "organisation.siret", OTHER_SIRET)
    assert (await holder.post("/projects", json=other_holder)).status_code == 201
    assert (
        await holder.post("/projects", json=submission(title="Tiers-lieu de la Sarthe"))
    ).status_code == 201
    withdrawn = await holder.post(f"/projects/{original}/withdrawal", json={"reason": "holder_request"})
    assert withdrawn.status_code == 200
    assert (await holder.post("/projects", json=submission(title=VARIANTS[1]))).status_code == 201


async def test_concurrent_requests_with_one_idempotency_key_create_one_project(running: Running) -> None:
    svc, js = running
    holder = svc.client(("holder",), subject="holder-1")
    bodies = {
        "with-siret": submission(),
        "being-created": submission(title="Coopérative naissante", siret=None),
    }
    for key, body in bodies.items():
        answers = await asyncio.gather(
            *(holder.post("/projects", json=body, headers={"Idempotency-Key": key}) for _ in range(12))
        )
        assert {a.status_code for a in answers} == {201}
        assert len({a.json()["project_id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 11
    assert await count(svc, project) == 2
    reused = await holder.post(
        "/projects", json=submission(title="Autre"), headers={"Idempotency-Key": "with-siret"}
    )
    assert reused.status_code == 422 and reused.json()["detail"]["error"] == "idempotency_key_reused"
    other = svc.client(("holder",), subject="holder-2")  # keys are per caller
    assert (
        await other.post(
            "/projects", json=bodies["being-created"], headers={"Idempotency-Key": "being-created"}
        )
    ).status_code == 201
    await svc.published()
    submitted = await subject_counts(js, "ess.region.intake.project.*.project_submitted")
    assert sorted(submitted.values()) == [1, 1, 1]


async def test_concurrent_acts_on_one_project_each_take_the_next_sequence(running: Running) -> None:
    """Acts on one project queue on its row: every event gets the next sequence, none is refused by the
    outbox's unique (aggregate, sequence) key, and a rule between them (one pending request) holds."""
    svc, _ = running
    admin, nets = svc.client(), ("n1", "n2", "n3", "n4")
    for n in nets:
        assert (await admin.post("/networks", json=network(n))).status_code == 201
    pid = (await svc.client(("holder",)).post("/projects", json=submission())).json()["project_id"]
    ask = {"fields": ["budget"], "reasons": ["budget_inconsistent"]}
    answers = await asyncio.gather(
        *(
            svc.client(("network",), subject=f"network-{n}").post(
                f"/projects/{pid}/orientations/{n}/acceptance"
            )
            for n in nets
        ),
        *(admin.post(f"/projects/{pid}/correction-requests", json=ask) for _ in range(3)),
    )
    assert [a.status_code for a in answers[: len(nets)]] == [200] * len(nets)
    assert sorted(a.status_code for a in answers[len(nets) :]) == [200, 409, 409]
    history = (await admin.get(f"/projects/{pid}/history")).json()
    assert [h["sequence"] for h in history] == list(range(1, 3 + len(nets) + 2))


async def test_tokens_of_another_role_or_pilot_get_403(running: Running) -> None:
    svc, _ = running
    admin = svc.client()
    assert (await admin.post("/networks", json=network("n1"))).status_code == 201
    pid = (await svc.client(("holder",), subject="h1").post("/projects", json=submission())).json()[
        "project_id"
    ]
    sha = (await admin.get(f"/projects/{pid}")).json()["attachments"][0]["sha256"]
    for method, path, body, refused_role, allowed_role in routes(pid, sha):
        as_role = await svc.client((refused_role,), subject="h1").request(method, path, json=body)
        assert as_role.status_code == 403, (method, path, refused_role, as_role.text)
        other_pilot = await svc.client((allowed_role,), pilot="state", subject="h1").request(
            method, path, json=body
        )
        assert other_pilot.status_code == 403, (method, path, "state", other_pilot.text)
        anonymous = await svc.client(token=False).request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
    assert (await svc.client(("operator",), pilot="state").get("/networks")).status_code == 200
    assert (await svc.client(("operator",), pilot="state").get(f"/projects/{pid}")).status_code == 403
    assert (await svc.client(("holder",), subject="h2").get(f"/projects/{pid}")).status_code == 403
    assert (await svc.client(("holder",), subject="h1").get(f"/projects/{pid}")).status_code == 200


def routes(pid: str, sha: str) -> list[tuple[str, str, Any, str, str]]:
    """(method, path, body, a role refused, a role accepted) for every intake route behind a token."""
    dossier = submission(title="Corrigé")
    correction = {k: dossier[k] for k in ("organisation", "contact", "project")}
    return [
        ("POST", "/projects", submission(title="Autre"), "instructor", "holder"),
        (
            "GET",
            f"/projects/{pid}",
            None,
            "operator",
            "decider",
        ),  # another pilot's instructor may read: access-logged
        ("GET", f"/projects/{pid}/history", None, "operator", "decider"),
        ("GET", f"/projects/{pid}/attachments/{sha}", None, "operator", "admin"),
        (
            "POST",
            f"/projects/{pid}/correction-requests",
            {"fields": ["siret"], "reasons": ["other"]},
            "holder",
            "instructor",
        ),
        ("PUT", f"/projects/{pid}/dossier", correction, "decider", "holder"),
        ("POST", f"/projects/{pid}/withdrawal", {"reason": "other"}, "decider", "holder"),
        ("POST", f"/projects/{pid}/closure", {"reason": "completed"}, "holder", "instructor"),
        ("POST", f"/projects/{pid}/orientation", None, "network", "instructor"),
        ("POST", f"/projects/{pid}/orientations/n1/acceptance", None, "holder", "network"),
        ("POST", f"/projects/{pid}/orientations/n1/decline", {"reason": "no_capacity"}, "decider", "network"),
        ("POST", "/networks", network("n2"), "instructor", "admin"),
        ("PUT", "/networks/n1", {**network("n1"), "active": False}, "instructor", "admin"),
        ("GET", "/networks", None, "holder", "instructor"),
        ("GET", "/networks/n1", None, "holder", "decider"),
        ("GET", "/orientation/unaccepted", None, "holder", "instructor"),
        ("POST", "/erasure/contacts", None, "instructor", "admin"),
    ]
