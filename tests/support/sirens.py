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


def _luhn_completed(stem: str) -> str:
    return next(stem + key for key in "0123456789" if luhn_valid(stem + key))


def siret_from(n: int) -> str:
    """A Luhn-valid SIRET of a Luhn-valid SIREN that depends on `n` alone (never La Poste's)."""
    siren = _luhn_completed(f"{(n * 7919 + 21_345_678) % 100_000_000:08d}")
    if siren == "356000000":
        siren = _luhn_completed("21000000")
    return _luhn_completed(f"{siren}{n % 10_000:04d}")
