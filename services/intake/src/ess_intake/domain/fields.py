"""Field types of what people send, each refusing bad input with a sentence that names its rule."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from ess_contracts.types import Rna, Siren, Siret

_T = TypeVar("_T")

_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_PARAGRAPH = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(control: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if control.search(value):
            raise ValueError(f"{what} holds no control characters")
        return unicodedata.normalize("NFC", value)

    return check


_TRIMMED = StringConstraints(strip_whitespace=True, min_length=1)

Line = Annotated[str, _TRIMMED, AfterValidator(_clean(_CONTROL_IN_LINE, "a line of text"))]
"""One line of text: trimmed, not empty, no control characters, NFC. Give its length at the use site:
`Annotated[Line, Field(max_length=200)]`."""

Paragraph = Annotated[str, _TRIMMED, AfterValidator(_clean(_CONTROL_IN_PARAGRAPH, "a text"))]
"""Free text over several lines (tabs and line breaks allowed)."""


def distinct(values: tuple[_T, ...]) -> tuple[_T, ...]:
    if len(set(values)) != len(values):
        raise ValueError("items must be distinct")
    return values


def _iso_date(value: object) -> object:
    """Only `YYYY-MM-DD`: pydantic would also take a Unix timestamp, which no person means."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _date_in_range(value: date) -> date:
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise ValueError("a date lies between 2000-01-01 and 2100-12-31")
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_date_in_range),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-09-01"]}),
]


def _digits(name: str, count: int) -> Callable[[object], object]:
    """SIRET and SIREN are often written in groups ("732 829 320 00074"): spaces are dropped."""

    def check(value: object) -> object:
        if not isinstance(value, str):
            return value
        compact = value.replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(rf"\d{{{count}}}", compact):
            raise ValueError(f"a {name} is {count} digits")
        return compact

    return check


def _rna(value: object) -> object:
    """An RNA number is written W + 9 digits, sometimes in lower case or with spaces."""
    if not isinstance(value, str):
        return value
    compact = value.replace(" ", "").replace("\u00a0", "").upper()
    if not re.fullmatch(r"W\d{9}", compact):
        raise ValueError("an RNA number is W followed by 9 digits")
    return compact


SiretInput = Annotated[Siret, BeforeValidator(_digits("SIRET", 14))]
RnaInput = Annotated[Rna, BeforeValidator(_rna)]
SirenInput = Annotated[Siren, BeforeValidator(_digits("SIREN", 9))]

_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("an e-mail address reads name@domain.tld")
    return value


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]


def _phone(value: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", value)
    if not re.fullmatch(r"0[1-9]\d{8}|\+[1-9]\d{7,14}", compact):
        raise ValueError(
            "a phone number is French (10 digits starting with 0) or international (+ and 8 to 15 digits)"
        )
    return compact


Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_phone)]
