"""Canonical bytes (RFC 8785, JSON Canonicalization Scheme) for the values our contracts allow.

Our values are strings, integers within ±(2**53-1), booleans, null, lists and objects with ASCII
keys: no floats (money is integer cents, timestamps are strings). For that domain JCS reduces to
sorted keys, no insignificant white space and UTF-8 without escapes beyond JSON's own; a test
checks the equivalence against the reference `rfc8785` implementation. Floats are refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from ess_contracts.types import MAX_SAFE_INTEGER

_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


class NotCanonical(ValueError):
    pass


def _check_domain(value: Any) -> None:
    if isinstance(value, float):
        raise NotCanonical(f"float {value!r} has no canonical form here: use integer cents or a string")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise NotCanonical(f"integer {value} is outside the interoperable range ±(2**53-1)")
    if isinstance(value, dict):
        for item in value.values():
            _check_domain(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_domain(item)


def canonical_bytes(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    _check_domain(value)
    return _encoder.encode(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
