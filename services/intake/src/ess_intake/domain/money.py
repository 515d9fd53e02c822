"""Euros as people type them, integer cents as the system stores them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

MAX_EUROS = 10**10
"""Ten billion euros: far above any project, far below the 2**53 cents every JSON reader agrees on."""

Euros = Annotated[
    Decimal,
    Field(
        ge=0,
        le=MAX_EUROS,
        decimal_places=2,
        allow_inf_nan=False,
        description='Euros, non-negative, at most two decimals (a number or a string: 1250.5, "1250.50").',
        examples=["1250.50"],
    ),
]


def to_cents(euros: Decimal) -> int:
    """Exact: validation already refused a third decimal, so nothing is rounded here."""
    return int((euros * 100).to_integral_exact())


def to_euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
