"""Schemathesis over intake's OpenAPI, against the service behind a real HTTP server: every intake
operation fuzzed with valid and invalid data and an admin's token (who may call them all); no answer is
a 500, nothing crashes. The harness's own operations (status, metrics, views, dead letters) are
not intake's and are left out. Driven without schemathesis' pytest plugin, which pytest 9 breaks
(it reads `request.node._nodeid`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed: add it to the dev dependency group to run this test",
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.support.intake_server import ServedIntake  # noqa: E402

INTAKE_TAGS = r"^(projects|holder link|networks|orientation|erasure)$"
EXAMPLES = settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def intake_api() -> Iterator[ServedIntake]:
    with ServedIntake() as api:
        yield api


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_intake_operation_answers_500(intake_api: ServedIntake, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{intake_api.url}/openapi.json").include(tag_regex=INTAKE_TAGS)
    headers = {"Authorization": f"Bearer {intake_api.token}"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @EXAMPLES
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=intake_api.url, headers=headers, checks=[not_a_server_error], timeout=30
            )

        try:
            call()
        except Exception as failure:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {failure}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
