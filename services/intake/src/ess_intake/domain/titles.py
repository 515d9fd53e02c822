"""Duplicate detection: two titles are the same project when they differ only in case, accents,
punctuation or spacing ("Tiers-lieu  de la Loire !" and "tiers lieu de la loire")."""

from __future__ import annotations

import unicodedata

# Letters NFKD does not decompose but people write both ways.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


def normalise_title(title: str) -> str:
    """Case folded, accents removed, punctuation and symbols dropped (as word separators, so that
    "tiers-lieu" and "tiers lieu" match), runs of spaces collapsed to one."""
    folded = unicodedata.normalize("NFKD", title.casefold().translate(_LIGATURES))
    kept = (_separator_or_self(c) for c in folded if not unicodedata.combining(c))
    return " ".join("".join(kept).split())


def _separator_or_self(char: str) -> str:
    return " " if unicodedata.category(char)[0] in "PSZC" else char


def duplicate_key(siret: str | None, title: str) -> str | None:
    """What an open project is unique by. A structure being created has no SIRET yet, so no key:
    without an identifier two homonymous projects cannot be told to be the same holder's."""
    if siret is None:
        return None
    return f"{siret}:{normalise_title(title)}"
