"""Every route of every service against every role, as processes: a token of the service's own pilot with
one role only must be refused (403) wherever that role is not in the route's row of `ROUTES`, and let in
wherever it is. The routes come from the committed OpenAPI documents, so a new route without a row fails
here; the rows are what the services' READMEs say of routes and roles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ess_core.auth.tokens import ROLES, LocalIssuer
from tests.support.deployment import Deployment, deployment

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "funding", "evaluation")
STAFF = ("instructor", "decider", "admin")
OPEN = frozenset(ROLES)  # no role checked: health, or a holder's private link (its own secret)
OPS = frozenset({"operator", "admin"})

# (service, "METHOD /path"): the roles let in. Shared by every service: the harness's routes.
HARNESS = {
    "GET /status": OPS,
    "GET /metrics": OPS,
    "GET /view/digest": OPS,
    "POST /view/rebuild": frozenset({"admin"}),
    "POST /view/bootstrap": frozenset({"admin"}),
    "POST /checkpoint": OPS,
    "GET /dlq": OPS,
    "POST /dlq/{stream_seq}/retry": OPS,  # verified again as on arrival: nothing forged applies
    "GET /republish": OPS,
    "GET /lag": OPS,
    "GET /checkpoints": OPS,
    "GET /stream/events": OPS,
    "GET /stream/events/{stream_seq}": OPS,
    "GET /snapshots": OPS,  # an operator of another pilot too: how a pilot fetches another's snapshot
    "GET /snapshots/{position}": OPS,
    "POST /snapshots": OPS,  # this pilot's only
    "POST /republish": frozenset({"admin"}),
    "GET /webhooks/deliveries": OPS,
    "POST /webhooks/replay": frozenset({"admin"}),
    "GET /notices/preferences": frozenset({"instructor", "decider", "operator", "admin"}),  # their own
    "PUT /notices/preferences": frozenset({"instructor", "decider", "operator", "admin"}),
    "GET /notices/unsubscribe": OPEN,  # the link's own signature
    "POST /notices/unsubscribe": OPEN,
    "GET /projects/{project_id}/view": frozenset(STAFF),  # the title opened: personal data, no operator
    "GET /projects": frozenset(STAFF),  # a page of titles opened: the same
    "GET /projects/{project_id}/events": frozenset({*STAFF, "operator"}),  # signatures checked, no payload
}
READERS = frozenset({*STAFF, "operator"})
FILE_READERS = frozenset({*STAFF, "holder", "network"})  # the holder and network their own (checked after)
ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "intake": {
        "POST /projects": frozenset({"holder", "network", "admin"}),
        "GET /projects/{project_id}": FILE_READERS,
        "GET /projects/{project_id}/history": FILE_READERS,
        "GET /projects/{project_id}/attachments/{sha256}": FILE_READERS,
        "GET /projects/{project_id}/access-log": frozenset({"admin"}),
        "GET /privacy/notice": OPEN,
        "POST /projects/{project_id}/correction-requests": frozenset({"instructor", "admin"}),
        "PUT /projects/{project_id}/dossier": frozenset({"holder", "network", "instructor", "admin"}),
        "POST /projects/{project_id}/withdrawal": frozenset({"holder", "network", "instructor", "admin"}),
        "POST /projects/{project_id}/closure": frozenset({"instructor", "admin"}),
        "POST /projects/{project_id}/orientation": frozenset({"instructor", "admin"}),
        "POST /projects/{project_id}/orientations/{network_id}/acceptance": frozenset(
            {"network", "instructor", "admin"}
        ),
        "POST /projects/{project_id}/orientations/{network_id}/decline": frozenset(
            {"network", "instructor", "admin"}
        ),
        "POST /networks": frozenset({"admin"}),
        "PUT /networks/{network_id}": frozenset({"admin"}),
        "GET /networks": frozenset({*READERS, "network"}),
        "GET /networks/{network_id}": frozenset({*READERS, "network"}),
        "GET /orientations": frozenset({*STAFF, "network"}),  # a network its own networks' (checked after)
        "GET /orientation/unaccepted": READERS,
        "POST /erasure/contacts": frozenset({"admin"}),
        "POST /privacy/erasure": frozenset({"admin"}),
        "POST /privacy/export": frozenset({"admin"}),
        "POST /projects/{project_id}/follow-link": frozenset({"instructor", "admin"}),
        "DELETE /projects/{project_id}/follow-link": frozenset({"instructor", "admin"}),
        "POST /imports/ds/{demarche}": frozenset({"instructor", "admin"}),
        "GET /imports/ds/{demarche}": frozenset({"instructor", "admin"}),
        "GET /imports/ds/{demarche}/rejections": frozenset({"instructor", "admin"}),
        "GET /follow/{project_id}/{token}": OPEN,
        "GET /follow/{project_id}/{token}/dossier": OPEN,
        "GET /follow/{project_id}/{token}/history": OPEN,
        "PUT /follow/{project_id}/{token}/dossier": OPEN,
        "POST /follow/{project_id}/{token}/withdrawal": OPEN,
    },
    "funding": {
        "GET /projects/{project_id}/plan": READERS,
        "GET /agenda": READERS,
        **{
            f"POST /projects/{{project_id}}/{kind}": frozenset({"instructor"})
            for kind in ("requests", "opinions", "cofunders", "de-minimis-declarations")
        },
        **{
            f"POST /projects/{{project_id}}/{kind}": frozenset({"decider"})
            for kind in ("decisions", "commitments", "cancellations", "recoveries")
        },
        "POST /projects/{project_id}/tranches": frozenset({"instructor", "decider"}),
        "POST /projects/{project_id}/disbursements": frozenset({"instructor", "decider"}),
        "GET /pending-acts": READERS,
        "POST /pending-acts/{pending_id}/approval": frozenset({"decider"}),
        "GET /undertakings/{siren}": READERS,
        "GET /undertakings/{siren}/certificate": READERS,
        "GET /opendata/subsidies": READERS,
        **{
            route: frozenset({"instructor"})
            for path in ("control-links", "outside-aids")
            for route in (
                f"POST /{path}",
                f"PUT /{path}/{{aggregate_id}}",
                f"POST /{path}/{{aggregate_id}}/withdrawal",
            )
        },
    },
    "evaluation": {
        **{
            f"GET {path}": READERS
            for path in (
                "/strategy",
                "/derivations",
                "/figures",
                "/indicators/actuals",
                "/charts/{year}",
                "/reviews",
                "/sessions",
                "/reports",
                "/evaluation/digest",
            )
        },
        "POST /strategy": frozenset({"admin"}),
        "POST /indicators/{code}/measures": frozenset({*STAFF}),
        "POST /projects/{project_id}/reviews": frozenset({"instructor", "admin"}),
        "POST /sessions": frozenset({"decider", "admin"}),
        "POST /reports/{year}": frozenset({"admin"}),
    },
}


def routes(service: str) -> list[str]:
    document = json.loads((REPO / "docs" / "openapi" / f"{service}.json").read_text())
    return sorted(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item)


def address(route: str) -> tuple[str, str]:
    method, path = route.split(" ", 1)
    values = {"project_id": "p1", "network_id": "n1", "year": "2025", "seq": "1"}
    return method, re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x1"), path)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("roles") / "ess", secure=True) as running:
        running.start_all([("region", service) for service in SERVICES])
        yield running


def let_in(system: Deployment, service: str) -> dict[str, frozenset[str]]:
    """Per route, the roles not refused (401 or 403) with a token of region holding that role alone."""
    issuer = LocalIssuer.load(system.state.auth)
    tokens = {role: issuer.mint(f"region-{role}", "region", [role]) for role in sorted(ROLES)}
    url = system.children[("region", service)].http_url
    found = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for route in routes(service):
            method, path = address(route)
            body = {} if method in ("POST", "PUT", "PATCH") else None
            answers = {
                role: client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
                for role, token in tokens.items()
            }
            found[route] = frozenset(role for role, a in answers.items() if a.status_code not in (401, 403))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_each_role_reaches_only_the_routes_its_row_lists(system: Deployment, service: str) -> None:
    observed = let_in(system, service)
    expected = {**HARNESS, **ROUTES[service]}
    unlisted = sorted(set(observed) - set(expected))
    assert not unlisted, "routes without a row: " + json.dumps(
        {route: sorted(observed[route]) for route in unlisted}, indent=1
    )
    wrong = {r: (sorted(observed[r]), sorted(expected[r])) for r in observed if observed[r] != expected[r]}
    assert not wrong, "let in (observed, expected): " + json.dumps(wrong, indent=1)
