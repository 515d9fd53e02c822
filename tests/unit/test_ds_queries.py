"""The DS connector cannot drift from the real API: every query it sends validates against Démarches
Simplifiées' published schema (`../shared/reference/`, beside the checkout; AGPL, read here, never copied
into the project), and the project's own subset, which the test server serves, is a true part of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    parse,
    validate,
)

from ess_intake.adapters.ds_queries import QUERIES
from ess_intake.domain.ds_mapping import CHAMP_TYPENAMES, DESCRIPTOR_TYPENAMES

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "demarches-simplifiees.schema.graphql"
SUBSET = REPO / "tests" / "support" / "ds_schema.graphql"


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REFERENCE.exists():
        reason = f"DS's published schema is not at {REFERENCE} (CI keeps ../shared/ beside the checkout)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return build_schema(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def subset_schema() -> GraphQLSchema:
    return build_schema(SUBSET.read_text(encoding="utf-8"))


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.split("(")[0].split()[-1])
def test_each_query_validates_against_ds_published_schema(real_schema: GraphQLSchema, query: str) -> None:
    errors = validate(real_schema, parse(query))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.split("(")[0].split()[-1])
def test_each_query_validates_against_the_test_servers_subset(
    subset_schema: GraphQLSchema, query: str
) -> None:
    errors = validate(subset_schema, parse(query))
    assert not errors, [e.message for e in errors]


def test_the_subset_is_part_of_ds_published_schema(
    real_schema: GraphQLSchema, subset_schema: GraphQLSchema
) -> None:
    """Every type of the subset exists in DS's schema with every field, argument and type as written."""
    problems = []
    for name, kind in subset_schema.type_map.items():
        if name.startswith("__"):
            continue
        real = real_schema.type_map.get(name)
        if real is None or type(real) is not type(kind):
            problems.append(f"{name}: not a {type(kind).__name__} of DS")
            continue
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(real, GraphQLObjectType | GraphQLInterfaceType)
            for field_name, field in kind.fields.items():
                found = real.fields.get(field_name)
                if found is None or str(found.type) != str(field.type):
                    problems.append(f"{name}.{field_name}: {field.type} is not DS's ({found and found.type})")
                    continue
                for arg, spec in field.args.items():
                    if arg not in found.args or str(found.args[arg].type) != str(spec.type):
                        problems.append(f"{name}.{field_name}({arg}): not DS's")
    assert not problems, problems


def test_the_mappings_type_names_are_ds(real_schema: GraphQLSchema) -> None:
    """The DS types a mapping file names turn into typenames DS answers with."""
    names = set(CHAMP_TYPENAMES.values()) | set(DESCRIPTOR_TYPENAMES.values())
    assert not sorted(n for n in names if n not in real_schema.type_map)
