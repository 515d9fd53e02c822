"""Canonical bytes (RFC 8785, JSON Canonicalization Scheme) for the values our contracts allow.

Our values are strings, integers, booleans, null, lists and objects with ASCII keys: no floats
(money is integer cents, timestamps are strings). For that domain JCS reduces to sorted keys,
no insignificant white space and UTF-8 without escapes beyond JSON's own; a test checks the
equivalence against the reference `rfc8785` implementation. Floats are refused, not rounded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


class NotCanonical(ValueError):
    pass


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise NotCanonical(f"float {value!r} has no canonical form here: use integer cents or a string")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def canonical_bytes(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    _refuse_floats(value)
    return _encoder.encode(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
