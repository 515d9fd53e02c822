"""The committed contract files in docs/contracts/ are exactly what the code generates: they cannot drift.

To regenerate them: `.venv/bin/python -m ess_contracts.schema_export docs/contracts`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.reference import OBJECTIVES
from ess_contracts.schema_export import (
    REFERENCE_FILE,
    SCHEMA_FILE,
    json_schema_text,
    reference_document,
    write_catalogue_schema,
)

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "contracts"
REGENERATE = "regenerate with: .venv/bin/python -m ess_contracts.schema_export docs/contracts"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("contracts")
    paths = write_catalogue_schema(out)
    assert [p.name for p in paths] == [SCHEMA_FILE, REFERENCE_FILE]
    assert all(p.parent == out for p in paths)
    return {p.name: p.read_bytes() for p in paths}


@pytest.mark.parametrize("name", [SCHEMA_FILE, REFERENCE_FILE])
def test_committed_files_equal_what_the_code_generates(generated: dict[str, bytes], name: str) -> None:
    committed = COMMITTED / name
    assert committed.is_file(), f"{committed} is missing: {REGENERATE}"
    assert committed.read_bytes() == generated[name], f"{committed} is stale: {REGENERATE}"


def test_schema_file_is_the_catalogue_schema(generated: dict[str, bytes]) -> None:
    assert SCHEMA_FILE == "catalogue-v7.schema.json"
    assert generated[SCHEMA_FILE].decode("utf-8") == json_schema_text()


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_the_schema_has_no_number_type(generated: dict[str, bytes]) -> None:
    schema = json.loads(generated[SCHEMA_FILE])
    types: set[str] = set()
    for node in _nodes(schema):
        declared = node.get("type")
        if isinstance(declared, str):
            types.add(declared)
        elif isinstance(declared, list):
            types.update(t for t in declared if isinstance(t, str))
    assert "number" not in types
    assert "integer" in types  # the walk does reach the typed nodes
    assert '"number"' not in generated[SCHEMA_FILE].decode("utf-8")


def test_the_schema_names_every_payload_type(generated: dict[str, bytes]) -> None:
    text = generated[SCHEMA_FILE].decode("utf-8")
    for event_type in PAYLOAD_TYPES:
        assert f'"{event_type}"' in text


def test_reference_file_is_canonical_json(generated: dict[str, bytes]) -> None:
    data = generated[REFERENCE_FILE]
    document = json.loads(data)
    assert data == rfc8785.dumps(document)
    assert document == reference_document()
    assert [o["code"] for o in document["objectives"]] == [o.code for o in OBJECTIVES]
    assert [o["title"] for o in document["objectives"]] == [o.title for o in OBJECTIVES]
    assert len(document["departments"]) == 5
    assert [p["code"] for p in document["pilots"]] == ["region", "state", "bdt"]
    assert document["stage_objectives"]["collective_project"] == "O5"
    assert {c["regulation"]: c["ceiling_cents"] for c in document["de_minimis_ceilings"]} == {
        "(EU) 1407/2013": 20_000_000,
        "(EU) 2023/2831": 30_000_000,
        "(EU) 360/2012": 50_000_000,
        "(EU) 2023/2832": 75_000_000,
    }
    assert "« classique »" in data.decode("utf-8")  # UTF-8, not \u escapes
