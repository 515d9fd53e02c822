"""Staff's forms for the funding service's acts (a request, an opinion, a decision), each read as the act's
body: amounts typed in euros the French way, each field that cannot be read named once with its rule in
French, what was typed kept to show again."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ess_console.labels import COMMITMENT_ERRORS, DECISION_ERRORS, OPINION_ERRORS, REQUEST_ERRORS

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
    _acknowledged(form, body)
    return body, errors


def _acknowledged(form: Mapping[str, Any], body: dict[str, Any]) -> None:
    rules = [str(rule) for rule in _all(form, "acknowledge") if rule in ACKNOWLEDGEABLE]
    if rules:
        body["acknowledge"] = rules


def request_body(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A funding request of the pilot: when, which instrument, how much, for which budget lines."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"budget_lines": [str(code) for code in _all(form, "budget_lines")]}
    _day(form, "requested_on", body, errors, REQUEST_ERRORS)
    _choice(form, "instrument", body, errors, REQUEST_ERRORS)
    _amount(form, "amount", body, errors, REQUEST_ERRORS)
    if body.get("amount") == 0:
        errors["amount"] = REQUEST_ERRORS["amount"]
    programme = str(form.get("programme", "")).strip()
    if programme:
        body["programme"] = programme
    return body, errors


def opinion_body(
    form: Mapping[str, Any], budget: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The shared opinion: the eligible amount of each submitted budget line, and the holder's own share."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    _day(form, "given_on", body, errors, OPINION_ERRORS)
    _choice(form, "outcome", body, errors, OPINION_ERRORS)
    lines = []
    for line in budget:
        name = f"eligible-{line['code']}"
        typed = str(form.get(name, "")).strip()
        amount = cents(typed) if typed else 0
        if amount is None:
            errors[name] = OPINION_ERRORS["eligible_lines"]
            continue
        lines.append({"code": line["code"], "category": line["category"], "eligible_amount": amount})
    body["eligible_lines"] = lines
    body["eligible_total"] = sum(line["eligible_amount"] for line in lines)
    _amount(form, "self_financing", body, errors, OPINION_ERRORS, blank=0)
    _amount(form, "in_kind", body, errors, OPINION_ERRORS, blank=0)
    remark = str(form.get("remark", "")).strip()
    if remark:
        body["remark"] = remark
    return body, errors


def commitment_body(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The legal commitment on one of the pilot's decisions: when, its reference, how much."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    _choice(form, "decision_id", body, errors, COMMITMENT_ERRORS)
    _day(form, "committed_on", body, errors, COMMITMENT_ERRORS)
    _choice(form, "reference", body, errors, COMMITMENT_ERRORS)
    _amount(form, "amount", body, errors, COMMITMENT_ERRORS)
    if body.get("amount") == 0:
        errors["amount"] = COMMITMENT_ERRORS["amount"]
    _acknowledged(form, body)
    return body, errors


class Reader(Protocol):
    def __call__(
        self, form: Mapping[str, Any], budget: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, str]]: ...


@dataclass(frozen=True)
class ActForm:
    """One act's form: its page (`/projets/{id}/<page>`), the funding route it posts to, how it is read."""

    page: str
    route: str
    template: str
    read: Reader
    messages: Mapping[str, str]


FORMS = {
    form.page: form
    for form in (
        ActForm("demande", "requests", "demande.html", lambda f, _: request_body(f), REQUEST_ERRORS),
        ActForm("avis", "opinions", "avis.html", opinion_body, OPINION_ERRORS),
        ActForm("decision", "decisions", "decision.html", lambda f, _: decision_body(f), DECISION_ERRORS),
        ActForm(
            "engagement", "commitments", "engagement.html", lambda f, _: commitment_body(f), COMMITMENT_ERRORS
        ),
    )
}
"""Each act's form by its page; the opinion's reader alone needs the submitted budget."""


def shown(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to fill the form again after a refusal."""
    many = ("acknowledge", "budget_lines")
    return {
        **{str(name): str(value) for name, value in form.items() if name not in many},
        **{name: [str(v) for v in _all(form, name)] for name in many},
    }


def _day(
    form: Mapping[str, Any],
    name: str,
    body: dict[str, Any],
    errors: dict[str, str],
    messages: Mapping[str, str],
) -> None:
    text = str(form.get(name, "")).strip()
    if _is_date(text):
        body[name] = text
    else:
        errors[name] = messages[name]


def _choice(
    form: Mapping[str, Any],
    name: str,
    body: dict[str, Any],
    errors: dict[str, str],
    messages: Mapping[str, str],
) -> None:
    text = str(form.get(name, "")).strip()
    if text:
        body[name] = text
    else:
        errors[name] = messages[name]


def _amount(
    form: Mapping[str, Any],
    name: str,
    body: dict[str, Any],
    errors: dict[str, str],
    messages: Mapping[str, str],
    blank: int | None = None,
) -> None:
    text = str(form.get(name, "")).strip()
    amount = cents(text) if text else blank
    if amount is None:
        errors[name] = messages[name]
    else:
        body[name] = amount


def _all(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    return list(getlist(name)) if getlist else list(form.get(name) or [])


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
