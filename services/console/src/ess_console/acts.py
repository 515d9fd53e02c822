"""A decider's form, read as the funding service's act: amounts typed in euros the French way, each field
that cannot be read named with its rule in French, what was typed kept to show again."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ess_console.labels import DECISION_ERRORS

EUROS = re.compile(r"^(\d{1,3}(?:[ \u00a0\u202f.]?\d{3})*|\d+)(?:,(\d{1,2}))?$")
ACKNOWLEDGEABLE = ("over_funding", "double_funding")  # never de minimis: the service refuses it


def cents(text: str) -> int | None:
    """« 12 500,50 », « 12500 », « 1.250 » in cents; None when it is not an amount in euros."""
    found = EUROS.match(text.strip().removesuffix("€").strip())
    if found is None:
        return None
    whole = re.sub(r"[ \u00a0\u202f.]", "", found.group(1))
    return int(whole) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def decision_body(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The act's body, and the fields the form could not give it (field: French message)."""
    text = {name: str(form.get(name, "")).strip() for name in DECISION_ERRORS}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        name: text[name] for name in ("request_id", "outcome", "instrument", "decided_on") if text[name]
    }
    errors |= {
        name: DECISION_ERRORS[name] for name in ("request_id", "outcome", "instrument") if not text[name]
    }
    if not _is_date(text["decided_on"]):
        errors["decided_on"] = DECISION_ERRORS["decided_on"]
    nominal = cents(text["nominal_amount"])
    if nominal is None:
        errors["nominal_amount"] = DECISION_ERRORS["nominal_amount"]
    else:
        body["nominal_amount"] = nominal
    if text["gross_grant_equivalent"]:
        equivalent = cents(text["gross_grant_equivalent"])
        if equivalent is None:
            errors["gross_grant_equivalent"] = DECISION_ERRORS["gross_grant_equivalent"]
    elif text["instrument"] == "grant":
        equivalent = nominal  # a grant's equivalent is its amount (an unreadable one is said once)
    else:
        equivalent = None
        errors["gross_grant_equivalent"] = DECISION_ERRORS["gross_grant_equivalent"]
    if equivalent is not None:
        body["gross_grant_equivalent"] = equivalent
    if text["beneficiary_siren"]:
        if not re.fullmatch(r"\d{9}", text["beneficiary_siren"].replace(" ", "")):
            errors["beneficiary_siren"] = DECISION_ERRORS["beneficiary_siren"]
        body["beneficiary_siren"] = text["beneficiary_siren"].replace(" ", "")
    if text["legal_right_on"]:
        if not _is_date(text["legal_right_on"]):
            errors["legal_right_on"] = DECISION_ERRORS["legal_right_on"]
        body["legal_right_on"] = text["legal_right_on"]
    elif text["outcome"] != "refused" and "decided_on" in body:
        body["legal_right_on"] = body["decided_on"]  # an aid is conferred when it is decided, unless said
    basis = str(form.get("state_aid_basis", "")).strip()
    if basis:
        body["state_aid_basis"] = basis
    rules = [str(rule) for rule in _all(form, "acknowledge") if rule in ACKNOWLEDGEABLE]
    if rules:
        body["acknowledge"] = rules
    return body, errors


def shown(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to fill the form again after a refusal."""
    return {
        **{name: str(form.get(name, "")) for name in (*DECISION_ERRORS, "state_aid_basis")},
        "acknowledge": [str(rule) for rule in _all(form, "acknowledge")],
    }


def _all(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    return list(getlist(name)) if getlist else list(form.get(name) or [])


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
