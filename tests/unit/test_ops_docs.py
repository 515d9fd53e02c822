"""The committed contracts (docs/asyncapi, docs/openapi) are what the code generates, and say what each
service publishes and consumes; the outbox refuses a type its service does not declare."""

from __future__ import annotations

import asyncio
import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.event import new_event
from ess_contracts.ops import CheckpointRecorded, ProbeSent
from ess_contracts.signing import Signer, generate_seed
from ess_core.messaging.outbox import NotPublished, Outbox, published_by
from ess_core.service import docs

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SPECS = docs.load_specs([f"ess_{name}.bootstrap:service" for name in ("intake", "funding", "evaluation")])


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return docs.documents(SPECS)


def test_committed_documents_equal_the_generated_ones(generated: dict[Path, str]) -> None:
    stale = []
    for relative, text in generated.items():
        path = DOCS / relative
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if committed != text:
            diff = difflib.unified_diff(
                committed.splitlines(), text.splitlines(), str(path), "generated", n=1
            )
            stale.append("\n".join(list(diff)[:30]))
    extra = {p.relative_to(DOCS) for d in ("asyncapi", "openapi") for p in (DOCS / d).glob("*.json")}
    extra -= set(generated)
    assert not stale, "run `make docs` and commit docs/:\n" + "\n\n".join(stale)
    assert not extra, f"documents of no installed service in docs/: {sorted(map(str, extra))}"


def _asyncapi(generated: dict[Path, str], service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(generated[Path("asyncapi") / f"{service}.json"])
    return document


@pytest.mark.parametrize("service", ["intake", "funding", "evaluation"])
def test_asyncapi_lists_every_published_and_consumed_subject_with_its_schema(
    generated: dict[Path, str], service: str
) -> None:
    document = _asyncapi(generated, service)
    assert document["asyncapi"] == "3.0.0"
    spec = SPECS[service]
    published = {str(c.model_fields["type"].default) for c in spec.published_types()}
    every_service = {"checkpoint_recorded", "project_data_key_destroyed"}  # its checkpoints, its own keys
    assert published == {t for t, c in PAYLOAD_TYPES.items() if service == c.SERVICE} | every_service
    consumed = {str(c.model_fields["type"].default) for c in docs.consumed_types(spec)}
    assert {"project_submitted", "probe_sent"} <= consumed
    operations = document["operations"]
    assert {k for k, o in operations.items() if o["action"] == "send"} == {f"publish.{t}" for t in published}
    assert {k for k, o in operations.items() if o["action"] == "receive"} == {
        f"consume.{t}" for t in consumed
    }
    channel = document["channels"]["publish.checkpoint_recorded"]
    assert channel["address"] == f"ess.{{pilot}}.{service}.checkpoint.{service}.checkpoint_recorded"
    assert channel["parameters"]["pilot"]["enum"] == ["region", "state", "bdt"]
    schemas = document["components"]["schemas"]
    envelope = schemas["CheckpointRecordedEvent"]
    assert {"id", "pilot", "sequence", "correlation_id", "payload"} <= set(envelope["properties"])
    assert envelope["properties"]["payload"]["$ref"].endswith("/CheckpointRecorded")
    message = document["components"]["messages"]["publish.checkpoint_recorded:Message"]
    assert message["headers"]["required"] == ["Nats-Msg-Id", "Ess-Key", "Ess-Sig", "Ess-Version"]


def test_intake_publishes_a_submission_under_its_own_subject(generated: dict[Path, str]) -> None:
    channel = _asyncapi(generated, "intake")["channels"]["publish.project_submitted"]
    assert channel["address"] == "ess.{pilot}.intake.project.{id}.project_submitted"
    assert "consume.project_decision_recorded" in _asyncapi(generated, "intake")["channels"]
    assert "publish.project_decision_recorded" not in _asyncapi(generated, "intake")["channels"]


def test_openapi_documents_the_operations_routes(generated: dict[Path, str]) -> None:
    for service in ("intake", "funding", "evaluation"):
        document = json.loads(generated[Path("openapi") / f"{service}.json"])
        assert document["info"]["title"] == f"ESS {service} service"
        assert {"/status", "/view/digest", "/checkpoint"} <= set(document["paths"])


def test_the_outbox_refuses_a_type_its_service_does_not_declare() -> None:
    outbox = Outbox("region", "intake", Signer(generate_seed()), publishes={"project_submitted"})
    probe = new_event(ProbeSent(note="x"), pilot="region", service="intake", aggregate_id="p1", sequence=1)
    with pytest.raises(NotPublished, match="probe_sent"):
        asyncio.run(outbox.store(None, [probe]))  # type: ignore[arg-type]  # refused before any write
    assert CheckpointRecorded in published_by("funding") and ProbeSent not in published_by("funding")


def test_funding_documents_each_acts_body_and_its_refusals(generated: dict[Path, str]) -> None:
    """Every act's request body lists its payload's fields (not a free-form object), and each refusal has
    the body the harness really answers."""
    from ess_funding.domain.acts import KINDS

    document = json.loads(generated[Path("openapi") / "funding.json"])
    for kind in KINDS:
        operation = document["paths"][f"/projects/{{project_id}}/{kind.path}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        fields = set(kind.payload.model_fields) - {"type", "rules_version"}  # the service sets those
        assert set(schema["properties"]) == fields | {"pilot", "acknowledge"}, kind.path
        assert schema["examples"] and schema["examples"][0].keys() <= fields, kind.path
        assert schema["additionalProperties"] is False and "$ref" not in json.dumps(schema)
        assert kind.id_field is None or kind.id_field not in schema["required"]
        for status in ("401", "403", "404", "409"):
            ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/RefusalBody", (kind.path, status)
    assert document["components"]["schemas"]["RefusalDetail"]["required"] == ["error", "reason"]
