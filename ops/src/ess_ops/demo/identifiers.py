"""Made-up company numbers that pass the checks real ones pass: a SIREN and SIRET with their Luhn keys,
an RNA number. Derived from a small seed, so every run of the demo sends the same numbers."""

from __future__ import annotations

from ess_contracts.identifiers import luhn_valid, siren_valid, siret_valid


def with_luhn_key(digits: str) -> str:
    """`digits` followed by the one key digit that makes the whole Luhn-valid."""
    for key in "0123456789":
        if luhn_valid(digits + key):
            return digits + key
    raise AssertionError("a Luhn key always exists")  # pragma: no cover


def siren(seed: int) -> str:
    """A SIREN of the demo: 9 digits, starting 93 (a range the demo keeps to itself by convention)."""
    number = with_luhn_key(f"93{seed:06d}")
    assert siren_valid(number)
    return number


def siret(seed: int) -> str:
    """The head office of `siren(seed)`: NIC 0001 and the key that makes the 14 digits valid."""
    number = with_luhn_key(siren(seed) + "0001")
    assert siret_valid(number)
    return number


def rna(department: str, seed: int) -> str:
    """An association's RNA number: W, the prefecture's three characters (department and 1), six digits."""
    return f"W{department}1{seed:06d}"
