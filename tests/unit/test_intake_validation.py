"""Validation of what holders send, without a server: each broken field is named with its rule."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ess_intake.domain.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from ess_intake.domain.records import public_details, public_organisation
from ess_intake.domain.requests import ClosureInput, CorrectionRequestInput
from ess_intake.domain.submission import Submission
from tests.support.events import sealed_title
from tests.support.intake_data import DOCX, INVALID_FIELDS, PDF, b64, submission, with_value


def errors_of(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Submission.model_validate(body)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_the_reference_submission_is_valid() -> None:
    s = Submission.model_validate(submission())
    details = public_details(s.project, sealed_title(s.project.title))
    assert details.budget.total == 120_000_50
    assert [line.code for line in details.budget.lines] == ["L1", "L2"]
    assert public_organisation(s.organisation).siret == "73282932000074"
    assert s.contact.phone == "0612345678"


@pytest.mark.parametrize(
    ("path", "value", "field", "rule"), INVALID_FIELDS, ids=[c[0] + ":" + c[3] for c in INVALID_FIELDS]
)
def test_each_invalid_field_is_named_with_its_rule(path: str, value: Any, field: str, rule: str) -> None:
    errors = errors_of(with_value(submission(), path, value))
    assert field in errors, errors
    assert rule in errors[field], errors[field]


def test_every_failing_field_is_reported_at_once() -> None:
    body = with_value(submission(), "organisation.department", "75")
    body = with_value(body, "contact.email", "nobody")
    body = with_value(body, "project.planned_jobs", -2)
    assert {"organisation.department", "contact.email", "project.planned_jobs"} <= set(errors_of(body))


def test_lenient_where_people_write_differently() -> None:
    body = with_value(submission(), "organisation.siret", "732 829 320 00074")
    body = with_value(body, "project.budget.total", 120000.5)
    s = Submission.model_validate(with_value(body, "contact.phone", "+33 6 12 34 56 78"))
    assert s.organisation.siret == "73282932000074"
    assert s.contact.phone == "+33612345678"


def test_a_structure_being_created_has_no_siret() -> None:
    s = Submission.model_validate(submission(siret=None))
    assert s.organisation.siret is None and s.organisation.being_created


def test_office_documents_are_recognised_by_their_first_bytes() -> None:
    docx = {
        "file_name": "budget.docx",
        "kind": "budget",
        "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "content": b64(DOCX),
    }
    s = Submission.model_validate(with_value(submission(), "attachments.1", docx))
    assert [a.media_type for a in s.attachments][1].endswith("document")


def test_size_and_count_limits() -> None:
    big = b64(PDF + b"0" * MAX_ATTACHMENT_BYTES)
    errors = errors_of(with_value(submission(), "attachments.0.content", big))
    assert "at most" in errors["attachments.0.content"]
    many = [
        {
            "file_name": f"f{i}.pdf",
            "kind": "other",
            "media_type": "application/pdf",
            "content": b64(PDF + bytes([i])),
        }
        for i in range(MAX_ATTACHMENTS + 1)
    ]
    assert "at most 10 items" in errors_of(with_value(submission(), "attachments", many))["attachments"]


def test_act_bodies() -> None:
    with pytest.raises(ValidationError, match="duplicate_of"):
        ClosureInput.model_validate({"reason": "duplicate"})
    with pytest.raises(ValidationError, match="duplicate_of"):
        ClosureInput.model_validate({"reason": "completed", "duplicate_of": "p1"})
    with pytest.raises(ValidationError, match="distinct"):
        CorrectionRequestInput.model_validate({"fields": ["siret", "siret"], "reasons": ["other"]})
