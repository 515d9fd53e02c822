"""Validating an SCDL "subventions" file as data.gouv.fr's validator does: the Table Schema with
frictionless, plus the schema's own custom checks (written here from their published definitions, apart
from the code under test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
from frictionless import Check, Checklist, Resource, Schema, errors
from frictionless.report import Report
from frictionless.table import Row

SCHEMA_FILE = Path(__file__).parent / "reference" / "scdl-subventions-2.1.1.schema.json"
LA_POSTE_SIREN = "356000000"


def siret_ok(value: str) -> bool:
    """A SIRET's key: Luhn over 14 digits; La Poste's establishments sum their digits to a multiple of 5."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN):
        return sum(map(int, value)) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(value)):
        doubled = int(digit) * (2 if position % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


@attrs.define(kw_only=True, repr=False)
class FrenchSiretValue(Check):
    type = "french-siret-value"
    Errors: ClassVar[list[type[errors.Error]]] = [errors.CellError]
    column: str

    def validate_row(self, row: Row) -> Iterator[errors.Error]:
        value = row[self.column]
        if value not in (None, "") and not siret_ok(str(value)):
            yield errors.CellError.from_row(row, note="invalid SIRET key", field_name=self.column)


@attrs.define(kw_only=True, repr=False)
class OneOfRequired(Check):
    type = "one-of-required"
    Errors: ClassVar[list[type[errors.Error]]] = [errors.RowConstraintError]
    column1: str
    column2: str

    def validate_row(self, row: Row) -> Iterator[errors.Error]:
        if row[self.column1] in (None, "") and row[self.column2] in (None, ""):
            note = f"one of {self.column1} and {self.column2} is required"
            yield errors.RowConstraintError.from_row(row, note=note)


CUSTOM = {"french-siret-value": FrenchSiretValue, "one-of-required": OneOfRequired}


def schema_and_checks() -> tuple[Schema, list[Check]]:
    descriptor: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    custom = descriptor.pop("custom_checks")
    checks: list[Check] = [CUSTOM[c["name"]](**c["params"]) for c in custom]
    fields = {"fields": descriptor["fields"], "missingValues": descriptor.get("missingValues", [""])}
    return Schema.from_descriptor(fields), checks


def validate(path: Path) -> Report:
    schema, checks = schema_and_checks()
    resource = Resource(
        path=path.name, basepath=str(path.parent), schema=schema, format="csv", encoding="utf-8"
    )
    return resource.validate(Checklist(checks=checks), limit_errors=100_000)


def errors_of(report: Report) -> list[str]:
    """Each error as one line: where, which rule, why."""
    return [
        f"row {row}, {field}: {kind}: {note}"
        for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"])
    ]
