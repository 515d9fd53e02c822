"""Writes the published contract files: the event catalogue's JSON Schema and the strategy's reference data.

Both are committed under `docs/contracts/` so partners can read them without running our code; a test checks
that the committed files equal what this module generates, so they cannot drift from the code.

    python -m ess_contracts.schema_export [out_dir]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from ess_contracts.canonical import canonical_bytes
from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.event import Event
from ess_contracts.reference import strategy

SCHEMA_FILE = f"catalogue-{CATALOGUE_VERSION}.schema.json"
REFERENCE_FILE = "reference.json"
DEFAULT_OUT_DIR = Path("docs/contracts")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an event with any payload of the catalogue."""
    schema = TypeAdapter(Event).json_schema(mode="serialization")
    schema["$id"] = f"https://ess-pdl.example/schemas/catalogue-{CATALOGUE_VERSION}.json"
    schema["title"] = f"ESS event catalogue {CATALOGUE_VERSION}"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def reference_document() -> dict[str, Any]:
    """The strategy's reference data as plain JSON values (dates as ISO strings, money as integer cents)."""
    return {
        "strategy": {"title": strategy.STRATEGY_TITLE, "period": list(strategy.STRATEGY_PERIOD)},
        "axes": [
            {
                "code": axis.code,
                "title": axis.title,
                "sub_axes": [
                    {"code": sub.code, "axis": sub.axis, "summary_en": sub.summary_en}
                    for sub in axis.sub_axes
                ],
            }
            for axis in strategy.AXES
        ],
        "objectives": [
            {"code": o.code, "axis": o.axis, "sub_axis": o.sub_axis, "title": o.title}
            for o in strategy.OBJECTIVES
        ],
        "stage_objectives": dict(strategy.STAGE_OBJECTIVES),
        "third_place_objective": strategy.THIRD_PLACE_OBJECTIVE,
        "epci_partnership_objective": strategy.EPCI_PARTNERSHIP_OBJECTIVE,
        "pilots": [{"code": p.code, "name": p.name} for p in strategy.PILOT_INFO],
        "departments": [{"code": d.code, "name": d.name} for d in strategy.DEPARTMENTS],
        "de_minimis_ceilings": [
            {
                "regulation": c.regulation,
                "scope": c.scope,
                "in_force_from": c.in_force_from.isoformat() if c.in_force_from else None,
                "in_force_until": c.in_force_until.isoformat() if c.in_force_until else None,
                "ceiling_cents": c.ceiling_cents,
                "window": c.window,
                "note": c.note,
            }
            for c in strategy.DE_MINIMIS_CEILINGS
        ],
    }


def reference_bytes() -> bytes:
    """The reference document in canonical form (RFC 8785: sorted keys, no white space, UTF-8)."""
    return canonical_bytes(reference_document())


def write_catalogue_schema(out_dir: Path) -> list[Path]:
    """Writes the catalogue schema and the reference data into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schema_path = out_dir / SCHEMA_FILE
    schema_path.write_bytes(json_schema_text().encode("utf-8"))
    reference_path = out_dir / REFERENCE_FILE
    reference_path.write_bytes(reference_bytes())
    return [schema_path, reference_path]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    for path in write_catalogue_schema(Path(args[0]) if args else DEFAULT_OUT_DIR):
        print(path)


if __name__ == "__main__":
    main()
