"""Staff's forms for the funding service's acts (a request, an opinion, a decision, a commitment), each read
as the act's body: amounts typed in euros the French way, each field that cannot be read named once with its
rule in French, what was typed kept to show again."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ess_console.labels import COMMITMENT_ERRORS, DECISION_ERRORS, OPINION_ERRORS, REQUEST_ERRORS

EUROS = re.compile(r"^(\d{1,3}(?:[ \u00a0\u202f.]?\d{3})*|\d+)(?:,(\d{1,2}))?$")
ACKNOWLEDGEABLE = ("over_funding", "double_funding")  # never de minimis: the service refuses it

Act = tuple[dict[str, Any], dict[str, str]]
"""An act's body, and the fields the form could not give it (field: French message)."""


def cents(text: str) -> int | None:
    """« 12 500,50 », « 12500 », « 1.250 » in cents; None when it is not an amount in euros."""
    found = EUROS.match(text.strip().removesuffix("€").strip())
    if found is None:
        return None
    whole = re.sub(r"[ \u00a0\u202f.]", "", found.group(1))
    return int(whole) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def given(text: str) -> str | None:
    return text or None


def day(text: str) -> str | None:
    try:
        date.fromisoformat(text)
    except ValueError:
        return None
    return text


def positive(text: str) -> int | None:
    amount = cents(text)
    return amount if amount else None


def euros_or_zero(text: str) -> int | None:
    return cents(text) if text else 0


def siren(text: str) -> str | None:
    digits = text.replace(" ", "")
    return digits if re.fullmatch(r"\d{9}", digits) else None


@dataclass
class Reading:
    """One form read field by field into an act's body, each field that cannot be read named once."""

    form: Mapping[str, Any]
    messages: Mapping[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return str(self.form.get(name, "")).strip()

    def take(self, name: str, parse: Callable[[str], Any], *, optional: bool = False) -> Any:
        """The field read by `parse`; None (its rule named) when it cannot be; None, silently, when an
        optional field is left empty."""
        text = self.text(name)
        if optional and not text:
            return None
        value = parse(text)
        if value is None:
            self.errors[name] = self.messages[name]
        else:
            self.body[name] = value
        return value

    def acknowledged(self) -> None:
        rules = [str(rule) for rule in _all(self.form, "acknowledge") if rule in ACKNOWLEDGEABLE]
        if rules:
            self.body["acknowledge"] = rules

    @property
    def act(self) -> Act:
        return self.body, self.errors


def request_body(form: Mapping[str, Any]) -> Act:
    """A funding request of the pilot: when, which instrument, how much, for which budget lines."""
    reading = Reading(
        form, REQUEST_ERRORS, {"budget_lines": [str(code) for code in _all(form, "budget_lines")]}
    )
    reading.take("requested_on", day)
    reading.take("instrument", given)
    reading.take("amount", positive)
    reading.take("programme", given, optional=True)
    return reading.act


def opinion_body(form: Mapping[str, Any], budget: list[dict[str, Any]]) -> Act:
    """The shared opinion: the eligible amount of each submitted budget line, and the holder's own share."""
    reading = Reading(
        form,
        {**OPINION_ERRORS, **{f"eligible-{b['code']}": OPINION_ERRORS["eligible_lines"] for b in budget}},
    )
    reading.take("given_on", day)
    reading.take("outcome", given)
    lines = []
    for line in budget:
        amount = reading.take(f"eligible-{line['code']}", euros_or_zero)
        reading.body.pop(f"eligible-{line['code']}", None)
        if amount is not None:
            lines.append({"code": line["code"], "category": line["category"], "eligible_amount": amount})
    reading.body["eligible_lines"] = lines
    reading.body["eligible_total"] = sum(line["eligible_amount"] for line in lines)
    reading.take("self_financing", euros_or_zero)
    reading.take("in_kind", euros_or_zero)
    reading.take("remark", given, optional=True)
    return reading.act


def decision_body(form: Mapping[str, Any]) -> Act:
    """The pilot's decision on one of its requests. A grant's equivalent is its amount, and the right to
    an aid is conferred on the day it is decided, unless the decider says otherwise."""
    reading = Reading(form, DECISION_ERRORS)
    for name in ("request_id", "outcome", "instrument"):
        reading.take(name, given)
    decided_on = reading.take("decided_on", day)
    nominal = reading.take("nominal_amount", cents)
    if reading.text("gross_grant_equivalent") or reading.text("instrument") != "grant":
        reading.take("gross_grant_equivalent", cents)
    elif nominal is not None:  # an unreadable amount is said once, at the amount
        reading.body["gross_grant_equivalent"] = nominal
    reading.take("beneficiary_siren", siren, optional=True)
    right_on = reading.take("legal_right_on", day, optional=True)
    if right_on is None and decided_on and reading.text("outcome") != "refused":
        reading.body["legal_right_on"] = decided_on
    reading.take("state_aid_basis", given, optional=True)
    reading.acknowledged()
    return reading.act


def commitment_body(form: Mapping[str, Any]) -> Act:
    """The legal commitment on one of the pilot's decisions: when, its reference, how much."""
    reading = Reading(form, COMMITMENT_ERRORS)
    reading.take("decision_id", given)
    reading.take("committed_on", day)
    reading.take("reference", given)
    reading.take("amount", positive)
    reading.acknowledged()
    return reading.act


class Reader(Protocol):
    def __call__(self, form: Mapping[str, Any], budget: list[dict[str, Any]]) -> Act: ...


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


def _all(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    return list(getlist(name)) if getlist else list(form.get(name) or [])
