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


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def request_body(
    model: type[BaseModel], exclude: tuple[str, ...] = ("type",), optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A payload's schema as an OpenAPI request body: without the fields the service sets (`exclude`),
    `optional` ones left to the service when absent, and nothing else accepted."""
    schema = inlined(model)
    properties = {k: v for k, v in schema["properties"].items() if k not in exclude}
    required = [k for k in schema.get("required", []) if k not in exclude and k not in optional]
    return {**schema, "properties": properties, "required": required, "additionalProperties": False}
