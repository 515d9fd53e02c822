"""Field types every event shares: they fix the canonical form (integer cents, UTC at microsecond
precision, NFC text, subject-safe identifiers), so every machine and database sees the same bytes."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer, StringConstraints

from ess_contracts.identifiers import siren_valid, siret_valid

Pilot = Literal["region", "state", "bdt"]
PILOTS: tuple[Pilot, ...] = ("region", "state", "bdt")

ServiceName = Literal["intake", "funding", "evaluation", "ops"]
SERVICES: tuple[ServiceName, ...] = ("intake", "funding", "evaluation", "ops")

AggregateKind = Literal[
    "project",
    "network",
    "action",
    "indicator",
    "session",
    "report",
    "checkpoint",
    "probe",
    "control_link",
    "outside_aid",
]

Department = Literal["44", "49", "53", "72", "85"]


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


Text = Annotated[str, AfterValidator(_nfc)]
"""Human text: NFC-normalised so that a composed and a decomposed "é" sign and hash the same."""

Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""An identifier that is also a valid NATS subject token (no dots, wildcards or spaces)."""

MAX_SAFE_INTEGER = 2**53 - 1  # beyond it JSON readers built on doubles (and RFC 8785) disagree

Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_SAFE_INTEGER)]
"""Money: non-negative integer euro cents. Floats never reach the canonical form."""

SignedCents = Annotated[int, Field(strict=True, ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
"""Money that may be negative (a recovery, a correction), still integer cents."""


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcTimestamp = Annotated[
    AwareDatetime,  # a string or datetime without a zone is refused: it would read as local time
    AfterValidator(lambda v: v.astimezone(UTC)),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A UTC instant, always written `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed microsecond precision)."""

Date = date
Year = Annotated[int, Field(strict=True, ge=2000, le=2100)]


def _check(rule: str, valid: Callable[[str], bool]) -> AfterValidator:
    def check(value: str) -> str:
        if not valid(value):
            raise ValueError(rule)
        return value

    return AfterValidator(check)


Siret = Annotated[str, StringConstraints(pattern=r"^\d{14}$"), _check("invalid SIRET Luhn key", siret_valid)]
Siren = Annotated[str, StringConstraints(pattern=r"^\d{9}$"), _check("invalid SIREN Luhn key", siren_valid)]
Rna = Annotated[str, StringConstraints(pattern=r"^W\d{9}$")]
"""An association's number in the Répertoire national des associations: W and nine digits."""
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
