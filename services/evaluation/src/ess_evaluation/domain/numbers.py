"""Exact numbers: integers at a scale on the bus, fractions in between, one rounding rule to show them."""

from __future__ import annotations

from fractions import Fraction


def scaled(value: int, scale: int) -> Fraction:
    """An integer at `scale` decimal places as the number it stands for (1234 at scale 2: 12.34)."""
    return Fraction(value, 10**scale)


def to_scale(value: Fraction, scale: int) -> int:
    """The integer at `scale` that stands for `value`, rounded half away from zero."""
    shifted = value * 10**scale
    magnitude = int(abs(shifted) + Fraction(1, 2))  # truncation of a non-negative number: its floor
    return magnitude if shifted >= 0 else -magnitude


def decimal_text(value: Fraction, places: int) -> str:
    """`value` with exactly `places` decimals, rounded half away from zero: the report's and CSV's text."""
    number = to_scale(value, places)
    sign = "-" if number < 0 else ""
    whole, part = divmod(abs(number), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def euros(cents: int) -> str:
    return decimal_text(Fraction(cents, 100), 2)


def french_decimal(value: Fraction, places: int) -> str:
    """`value` as French readers write it, same rounding as `decimal_text`: 12 500,5 at one place (a narrow
    no-break space between thousands, as the console and the notices write them)."""
    text = decimal_text(value, places)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, part = text.partition(".")
    return sign + f"{int(whole):,}".replace(",", "\u202f") + (f",{part}" if part else "")


def french_percent(value: Fraction, places: int) -> str:
    """40 %, 62,5 % (a narrow no-break space before the sign)."""
    return f"{french_decimal(value, places)}\u202f%"
