"""Dates as French readers write them, for notices."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(day: date) -> str:
    """1er mars 2026, 20 mars 2026."""
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"
