"""SIRENs for tests that must not share a single undertaking: the de minimis ledger counts every aid a
SIREN received across projects, so tests sharing one fixture each take their own."""

from __future__ import annotations

import random

from ess_contracts.identifiers import luhn_valid


def fresh_siren() -> str:
    """A random Luhn-valid SIREN (never La Poste's)."""
    while True:
        stem = f"{random.randrange(10_000_000, 100_000_000):08d}"
        for key in "0123456789":
            if luhn_valid(stem + key) and stem + key != "356000000":
                return stem + key
