"""Dates that make sense: an act about a project cannot precede the project's submission, and the day a
right to aid arises cannot lie far in the future (it picks the de minimis regulation and window, so a
date years ahead would move the aid out of every window that counts today).

Aid granted before the project existed is not an act on it: the beneficiary declares it as prior aid
(`project_de_minimis_declared`, each aid with its own grant date).
"""

from __future__ import annotations

from datetime import date, timedelta

from ess_contracts.base import Payload
from ess_core.refusals import Invalid
from ess_views.timeline import act_date_field


def check_dates(payload: Payload, submitted_on: date | None, today: date, margin: timedelta) -> None:
    """`margin`: how far ahead of `today` a legal right may arise (ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS)."""
    name = act_date_field(type(payload))
    acted_on = getattr(payload, name) if name else None
    if submitted_on is not None and isinstance(acted_on, date) and acted_on < submitted_on:
        raise Invalid(
            f"{name}: {acted_on} is before the project's submission on {submitted_on}: an act about a "
            "project cannot precede it (aid granted earlier is declared as prior aid)",
            field=name,
            rule="not before the project's submission",
        )
    right = getattr(payload, "legal_right_on", None)
    if isinstance(right, date) and right > today + margin:
        raise Invalid(
            f"legal_right_on: {right} is more than {margin.days} days after today ({today}): "
            "the right to the aid must arise by then",
            field="legal_right_on",
            rule=f"at most {margin.days} days ahead",
        )
