"""Dates the rules need: whole months after a day, and the bounds of a year."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks becomes its last (29 Feb -> 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def year_end(year: int) -> date:
    return date(year, 12, 31)


def parse_day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
