"""Schemathesis over funding's OpenAPI, against a running funding service (a real process, behind a real
broker, with a submitted project and its opinion): every act route fuzzed with bodies generated from the
documented schema, then sent its documented example, on a project the service knows, with a token that
holds every role. No answer is a 5xx, and none contradicts the document (status codes and bodies, content
type). The examples reach the rules: the beneficiary's ledger already holds aid close to the ceiling, so
the example decision is refused 409 with the verdict its document describes. Driven without schemathesis'
pytest plugin, which pytest 9 breaks (see test_intake_schemathesis.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed: add it to the dev dependency group to run this test",
)
import httpx  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ess_core.auth import LocalIssuer  # noqa: E402
from ess_funding.entrypoints.examples import EXAMPLES, SIREN  # noqa: E402
from tests.support.funding_system import FundingSystem, funding_system  # noqa: E402

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

GENERATED = settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LINES = {"staff": 60_000_00, "equipment": 40_000_00}


@pytest.fixture(scope="module")
def funders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FundingSystem]:
    with funding_system(tmp_path_factory.mktemp("funding-fuzz")) as running:
        yield running


def test_no_funding_act_answers_5xx_or_contradicts_its_document(funders: FundingSystem) -> None:
    pid = "region-fuzzed"
    funders.submit(pid, LINES)
    funders.plans(pid)
    funders.ok("state", pid, "opinions", EXAMPLES["opinions"])
    url = funders.system.children[("state", "funding")].http_url
    roles = ("instructor", "decider", "operator", "admin")
    token = LocalIssuer.load(funders.system.state.auth).mint("fuzzer", "state", roles)
    headers = {"Authorization": f"Bearer {token}"}
    outside = {
        "recipient_siren": SIREN,
        "grantor": "commune",
        "basis": "de_minimis_general",
        "nominal_amount": 280_000_00,
        "gross_grant_equivalent": 280_000_00,
        "granted_on": "2025-06-01",
        "legal_right_on": "2025-06-01",
        "source": "deliberation-2025-06",
    }
    assert httpx.post(f"{url}/outside-aids", json=outside, headers=headers).status_code == 201
    funders.ok("state", pid, "requests", EXAMPLES["requests"])
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json").include(tag_regex="^funding$")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    statuses: Counter[int] = Counter()
    examples: dict[str, int] = {}
    failures, operations = [], 0

    def fuzz(operation: Any, kind: str | None) -> Any:
        """Bodies generated from the document; an act's on the project the service knows, so that
        they reach the rules."""

        @GENERATED
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def call(case: schemathesis.Case) -> None:
            if kind:
                case.path_parameters = {"project_id": pid}
            response = case.call_and_validate(base_url=url, headers=headers, checks=checks, timeout=30)
            statuses[response.status_code] += 1

        return call

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue
        operations += 1

        kind = operation.path.rsplit("/", 1)[1] if operation.path.startswith("/projects/") else None

        try:
            fuzz(operation, kind)()
            if kind:
                example = operation.Case(
                    path_parameters={"project_id": pid}, body=EXAMPLES[kind], media_type="application/json"
                )
                answer = example.call_and_validate(base_url=url, headers=headers, checks=checks, timeout=30)
                examples[kind] = answer.status_code
        except Exception as failure:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {failure}")
    assert operations == 11  # ten acts and the second decider's approval
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) >= operations and not any(s >= 500 for s in statuses), statuses
    # 280,000 outside aid + the example's 40,000: beyond the ceiling of (EU) 2023/2831, named by the ledger
    assert examples["decisions"] == 409, examples
    assert examples["opinions"] == 201, examples
