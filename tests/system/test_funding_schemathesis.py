"""Schemathesis over funding's OpenAPI, against a running funding service (a real process, behind a real
broker, with a submitted project and its opinion): every act route fuzzed with bodies generated from the
documented schema, on a project the service knows, with a token that holds every role. No answer is a
5xx, and none contradicts the document (status codes and bodies, content type). Driven without
schemathesis' pytest plugin, which pytest 9 breaks (see test_intake_schemathesis.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed: add it to the dev dependency group to run this test",
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ess_core.auth import LocalIssuer  # noqa: E402
from tests.support.funding_system import FundingSystem, funding_system  # noqa: E402

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

EXAMPLES = settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LINES = {"staff": 60_000_00, "equipment": 40_000_00}
OPINION = {
    "opinion_id": "op1",
    "given_on": "2026-03-15",
    "outcome": "favourable",
    "eligible_total": 100_000_00,
    "eligible_lines": [
        {"code": "staff", "category": "staff", "eligible_amount": 60_000_00},
        {"code": "equipment", "category": "equipment", "eligible_amount": 40_000_00},
    ],
    "self_financing": 10_000_00,
    "in_kind": 5_000_00,
}


@pytest.fixture(scope="module")
def funders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FundingSystem]:
    with funding_system(tmp_path_factory.mktemp("funding-fuzz")) as running:
        yield running


def test_no_funding_act_answers_5xx_or_contradicts_its_document(funders: FundingSystem) -> None:
    pid = "region-fuzzed"
    funders.submit(pid, LINES)
    funders.plans(pid)
    funders.ok("state", pid, "opinions", OPINION)
    url = funders.system.children[("state", "funding")].http_url
    roles = ("instructor", "decider", "operator", "admin")
    token = LocalIssuer.load(funders.system.state.auth).mint("fuzzer", "state", roles)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json").include(tag_regex="^funding$")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    statuses: Counter[int] = Counter()
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue
        operations += 1

        @EXAMPLES
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def call(case: schemathesis.Case) -> None:
            case.path_parameters = {"project_id": pid}  # a project the service knows: bodies reach the rules
            response = case.call_and_validate(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=checks, timeout=30
            )
            statuses[response.status_code] += 1

        try:
            call()
        except Exception as failure:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {failure}")
    assert operations == 10
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) >= operations and not any(s >= 500 for s in statuses), statuses
