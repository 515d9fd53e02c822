"""A model's JSON Schema with every `#/$defs/...` reference replaced by its definition, for documents that
carry no `$defs` of their own (an OpenAPI request body, the register of processing)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def inlined(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    found: dict[str, Any] = _inline(schema, defs)
    return found


SEALED_AS_TEXT = {"type": "string", "description": "free text: sealed by the service before it travels"}


def _inline(node: Any, defs: dict[str, Any], sealed: dict[str, Any] | None = None) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref == "#/$defs/Sealed" and sealed is not None:
            return sealed
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs, sealed)
        return {key: _inline(value, defs, sealed) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs, sealed) for item in node]
    return node


def request_body(
    model: type[BaseModel], exclude: tuple[str, ...] = ("type",), optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A payload's schema as an OpenAPI request body: without the fields the service sets (`exclude`),
    `optional` ones left to the service when absent, and nothing else accepted."""
    schema = model.model_json_schema()
    schema = _inline(schema, schema.pop("$defs", {}), SEALED_AS_TEXT)  # people write text; it travels sealed
    properties = {k: v for k, v in schema["properties"].items() if k not in exclude}
    required = [k for k in schema.get("required", []) if k not in exclude and k not in optional]
    return {**schema, "properties": properties, "required": required, "additionalProperties": False}
