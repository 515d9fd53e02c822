"""A view row's hash: the SHA-256 of its canonical bytes (RFC 8785 JSON of its columns, bytes as lowercase
hex), written without building a dict per row: a row is flat (text, integers, booleans, null), so its
JSON is its sorted column names' prefixes and each value's JSON, which `canonical_bytes` would give
too (tests/integration/test_incremental_digests.py holds them equal)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # the C one, as json.dumps uses
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, cast, func

from ess_contracts.canonical import canonical_bytes
from ess_contracts.types import MAX_SAFE_INTEGER


def _value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is bytes:
        return f'"{value.hex()}"'
    return canonical_bytes(value).decode()  # refuses, naming it, what has no canonical form (a float)


@dataclass(frozen=True)
class RowHasher:
    """Hashes rows selected as `columns` (sorted names, the digest's excluded columns left out)."""

    names: tuple[str, ...]
    _prefixes: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        assert list(self.names) == sorted(self.names), "canonical JSON sorts its keys"
        prefixes = tuple(
            ("{" if i == 0 else ",") + encode_basestring(n) + ":" for i, n in enumerate(self.names)
        )
        object.__setattr__(self, "_prefixes", prefixes)

    @classmethod
    def of(cls, table: Table, excluded: frozenset[str] = frozenset()) -> RowHasher:
        return cls(tuple(sorted(c.name for c in table.columns if c.name not in excluded)))

    def columns(self, table: Table) -> list[ColumnElement[Any]]:
        return [table.c[name] for name in self.names]

    def digest(self, values: Sequence[Any]) -> bytes:
        if not self.names:
            return hashlib.sha256(b"{}").digest()
        text = "".join(p + _value(v) for p, v in zip(self._prefixes, values, strict=True)) + "}"
        return hashlib.sha256(text.encode("utf-8")).digest()


def key_expression(dialect: str, columns: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    """A row's primary key as the database's trigger writes it (a JSON array), so keys never go through
    Python to be compared."""
    if dialect == "postgresql":
        return cast(func.jsonb_build_array(*columns), Text)
    return func.json_array(*columns)
