"""The demo at region's evaluation service: the example strategy (when no action of it is defined yet),
follow-up reviews of two funded projects, and one steering session of the three pilots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from importlib.resources import files
from typing import Any

from ess_ops.demo.client import Api, until
from ess_ops.demo.intake import Submitted

EVALUATION = ("region", "evaluation")
REVIEWED = {  # project key -> (jobs created, jobs kept, remark)
    "recyclerie-reze": (
        4,
        6,
        "Activité en hausse ; deux salariés en insertion ont trouvé un emploi durable.",
    ),
    "conserverie-angers": (
        3,
        4,
        "Le local est aux normes ; la gamme de soupes est vendue dans 12 épiceries.",
    ),
}
SESSION_ITEMS = (
    ("EX-A1", "decision", "on_track", "Prolonger l'accompagnement renforcé des créations en zone rurale."),
    (
        "EX-A2",
        "recommendation",
        "delayed",
        "Relancer les réseaux sans réponse aux orientations sous 30 jours.",
    ),
    (
        "EX-A3",
        "decision",
        "on_track",
        "Présenter au comité des financeurs tout plan surfinancé avant engagement.",
    ),
    (
        "EX-A5",
        "recommendation",
        "at_risk",
        "Recenser les tiers-lieux dont le modèle économique reste fragile.",
    ),
)


@dataclass(frozen=True)
class Done:
    strategy_loaded: bool
    reviews: int
    session: bool


def demo_strategy() -> bytes:
    """The example strategy shipped with the evaluation service (`ess strategy load --demo`'s)."""
    return (files("ess_evaluation") / "demo" / "strategy-demo.json").read_bytes()


async def codes(api: Api) -> set[str]:
    return {a["code"] for a in (await api.get(EVALUATION, "/strategy", "instructor"))["actions"]}


async def strategy(api: Api) -> bool:
    """Loads the example strategy unless its actions are defined; True when it did."""
    if {code for code, *_ in SESSION_ITEMS} <= await codes(api):
        return False
    await api.call(
        "POST",
        EVALUATION,
        "/strategy",
        "admin",
        content=demo_strategy(),
        headers={"Content-Type": "application/json"},
        expect=(202,),
    )
    return True


async def reviews(api: Api, submitted: list[Submitted], today: date) -> int:
    """Each review once the evaluation view knows the project is funded (a 12-month review is due)."""
    count = 0
    for s in (s for s in submitted if s.project.key in REVIEWED):
        due = await until(partial(_due, api, s.project_id, today), f"a review due for {s.project_id}")
        if due["state"] == "done":
            continue
        created, kept, remark = REVIEWED[s.project.key]
        body = {
            "milestone_months": 12,
            "reviewed_on": today.isoformat(),
            "still_operating": True,
            "jobs_created": created,
            "jobs_kept": kept,
            "remark": remark,
        }
        await api.post(EVALUATION, f"/projects/{s.project_id}/reviews", "instructor", body, expect=(202,))
        count += 1
    return count


async def _due(api: Api, project_id: str, today: date) -> dict[str, Any] | None:
    as_of = (today + timedelta(days=800)).isoformat()
    found = await api.get(EVALUATION, "/reviews", "instructor", params={"as_of": as_of})
    return next((r for r in found if r["project_id"] == project_id and r["milestone_months"] == 12), None)


async def session(api: Api, today: date) -> bool:
    """The year's steering committee, recorded by region; True when recorded now."""
    session_id = f"demo-copil-{today.year}"
    held = await api.get(EVALUATION, "/sessions", "decider")
    if any(s.get("session_id") == session_id for s in held):
        return False
    wanted = {code for code, *_ in SESSION_ITEMS}
    await until(lambda: _defined(api, wanted), "the strategy's actions in region's evaluation view")
    body = {
        "held_on": today.isoformat(),
        "kind": "steering_committee",
        "pilots_present": ["region", "state", "bdt"],
        "items": [
            {"action_code": code, "kind": kind, "progress": progress, "text": text}
            for code, kind, progress, text in SESSION_ITEMS
        ],
    }
    await api.post(EVALUATION, "/sessions", "decider", body, params={"session_id": session_id}, expect=(202,))
    return True


async def _defined(api: Api, wanted: set[str]) -> bool | None:
    return True if wanted <= await codes(api) else None
