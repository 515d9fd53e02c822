"""The demo's funding acts, each pilot at its own funding service, as its instructor or decider.

An act already in the pilot's plan (same kind, same id: the demo's ids are fixed) is not sent again, so a
second run adds nothing. Two projects show the rules across funders: an over-funding that bdt's decider
goes through knowingly (held until bdt's second decider approves it), and a de minimis refusal (409), after
which the State decides on another basis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ess_contracts.types import Pilot
from ess_ops.demo import bodies
from ess_ops.demo.client import Api, DemoError, until
from ess_ops.demo.intake import Submitted
from ess_ops.demo.model import Grant, Project

ID_FIELDS = {
    "opinions": "opinion_id",
    "requests": "request_id",
    "decisions": "decision_id",
    "commitments": "commitment_id",
    "tranches": "tranche_id",
    "disbursements": "disbursement_id",
}
FACTS = {
    "opinions": "opinions",
    "de-minimis-declarations": "declarations",
    **{k: k for k in ID_FIELDS if k != "opinions"},
}


@dataclass(frozen=True)
class Act:
    path: str  # POST /projects/{id}/{path}
    person: str
    body: dict[str, Any]

    @property
    def act_id(self) -> str:
        return str(self.body.get(ID_FIELDS.get(self.path, ""), ""))


@dataclass
class Outcome:
    """What the funding phase did: acts recorded now, and the two cases' stories."""

    acts: int = 0
    over_funding: dict[str, Any] = field(default_factory=dict)
    de_minimis: dict[str, Any] = field(default_factory=dict)


def funding(pilot: Pilot) -> tuple[str, str]:
    return (pilot, "funding")


async def plan(api: Api, pilot: Pilot, project_id: str) -> dict[str, Any] | None:
    found = await api.call(
        "GET", funding(pilot), f"/projects/{project_id}/plan", "instructor", expect=(200, 404)
    )
    return found.json() if found.status_code == 200 else None


async def known_plan(api: Api, pilot: Pilot, project_id: str) -> dict[str, Any]:
    """The plan once the pilot's funding service folded intake's submission: its budget is there (a plan
    may exist before, from another pilot's act that arrived first; the service refuses acts until then)."""

    async def with_budget() -> dict[str, Any] | None:
        found = await plan(api, pilot, project_id)
        return found if found and found["facts"]["budget"] else None

    return await until(with_budget, f"{project_id}'s submission at {pilot}-funding")


def recorded(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(pilot, act path, act id) of every act in the plan; a declaration has no id of its own."""
    facts = document["facts"]
    found: set[tuple[str, str, str]] = set()
    for path, collection in FACTS.items():
        for fact in facts.get(collection, ()):
            found.add((fact["pilot"], path, str(fact.get(ID_FIELDS.get(path, ""), ""))))
    return found


def acts_of(p: Project, g: Grant, lead: bool, today: date) -> list[Act]:
    """One pilot's acts on a project, in order, as far as the grant's step goes."""
    acts = [Act("opinions", "instructor", bodies.opinion(p, g.pilot, today))] if lead else []
    acts.append(Act("requests", "instructor", bodies.request(g, today)))
    if g in p.reached("decided"):
        acts.append(Act("decisions", "decider", bodies.decision(p, g, today)))
    if g in p.reached("committed") and g.outcome != "refused":
        acts.append(Act("commitments", "decider", bodies.commitment(p, g, today)))
    if g in p.reached("scheduled"):
        acts += [Act("tranches", "instructor", t) for t in bodies.tranches(g, today)]
    if g in p.reached("paid"):
        acts.append(Act("disbursements", "instructor", bodies.disbursement(g, today)))
    return acts


def lead_of(p: Project) -> Pilot | None:
    """The funder that gives the shared opinion: the first whose funding went past the request."""
    past_request = p.reached("opinion")
    return past_request[0].pilot if past_request else None


async def record(api: Api, pilot: Pilot, project_id: str, acts: list[Act]) -> int:
    """Send the acts the plan lacks, in order; returns how many were recorded now."""
    done = recorded(await known_plan(api, pilot, project_id))
    count = 0
    for act in acts:
        if (pilot, act.path, act.act_id) in done:
            continue
        await api.post(
            funding(pilot), f"/projects/{project_id}/{act.path}", act.person, act.body, expect=(201,)
        )
        count += 1
    return count


async def fund(api: Api, s: Submitted, today: date) -> int:
    """An ordinary project: each pilot's acts, the pilots side by side."""
    p, lead = s.project, lead_of(s.project)
    chains = [record(api, g.pilot, s.project_id, acts_of(p, g, g.pilot == lead, today)) for g in p.grants]
    return sum(await asyncio.gather(*chains))


async def over_fund(api: Api, s: Submitted, today: date, outcome: Outcome) -> None:
    """Region and State commit; once bdt's service has folded their commitments, bdt's loan would take
    the plan past its eligible budget: refused (409), then sent again acknowledging the over-funding,
    held (202), and approved by bdt's second decider."""
    p, lead = s.project, lead_of(s.project)
    others = [g for g in p.grants if g.pilot != "bdt"]
    bdt = next(g for g in p.grants if g.pilot == "bdt")
    chains = [record(api, g.pilot, s.project_id, acts_of(p, g, g.pilot == lead, today)) for g in others]
    outcome.acts += sum(await asyncio.gather(*chains))
    *before, commitment = acts_of(p, bdt, False, today)
    outcome.acts += await record(api, "bdt", s.project_id, before)
    wanted = {(g.pilot, "commitments", f"engagement-{g.pilot}") for g in others}
    outcome.over_funding = {"project_id": s.project_id, "title": p.title, "pilot": "bdt"}

    async def sees_others() -> dict[str, Any] | None:
        found = await plan(api, "bdt", s.project_id)
        return found if found and wanted <= recorded(found) else None

    if ("bdt", "commitments", commitment.act_id) in recorded(
        await until(sees_others, "bdt to see the commitments")
    ):
        outcome.over_funding["already"] = True
        return
    pending_id = await _held(api, s.project_id) or await _hold(api, s.project_id, commitment, outcome)
    path = f"/pending-acts/{pending_id}/approval"
    approved = await api.post(funding("bdt"), path, "second-decider", None, expect=(201,))
    outcome.acts += 1
    outcome.over_funding["approved_event"] = approved["event_id"]


async def _held(api: Api, project_id: str) -> str | None:
    """A commitment of an earlier run that still waits for its second decider."""
    waiting = await api.get(funding("bdt"), "/pending-acts", "decider")
    return next((w["pending_id"] for w in waiting["pending"] if w["project_id"] == project_id), None)


async def _hold(api: Api, project_id: str, act: Act, outcome: Outcome) -> str:
    where, path = funding("bdt"), f"/projects/{project_id}/{act.path}"
    refused = await api.call("POST", where, path, act.person, json=act.body, expect=(409,))
    outcome.over_funding["refusal"] = refused.json()["detail"]["reason"]
    held = await api.post(
        where, path, act.person, act.body | {"acknowledge": ["over_funding"]}, expect=(202,)
    )
    return str(held["pending_id"])


async def refuse_de_minimis(api: Api, s: Submitted, today: date, outcome: Outcome) -> None:
    """The holder declares EUR 280,000 of de minimis aid in three years; the State's EUR 40,000 grant as
    de minimis would cross the EUR 300,000 ceiling: refused (409 rule_breach, never acknowledgeable).
    The State then decides under a block exemption scheme."""
    p = s.project
    g = p.grants[0]
    *before, decision = acts_of(p, g, True, today)
    declaration = Act("de-minimis-declarations", "instructor", bodies.prior_aids(p, today))
    outcome.de_minimis = {"project_id": s.project_id, "title": p.title, "pilot": g.pilot}
    if (g.pilot, "decisions", decision.act_id) in recorded(await known_plan(api, g.pilot, s.project_id)):
        outcome.de_minimis["already"] = True
        return
    outcome.acts += await record(api, g.pilot, s.project_id, [*before, declaration])
    where, path = funding(g.pilot), f"/projects/{s.project_id}/decisions"
    refused = await api.call("POST", where, path, "decider", json=decision.body, expect=(409,))
    detail = refused.json()["detail"]
    if detail.get("error") != "rule_breach" or detail.get("rules") != ["de_minimis"]:
        raise DemoError(f"the de minimis case was refused for another reason: {detail}")
    outcome.de_minimis["refusal"] = detail["reason"]
    await api.post(where, path, "decider", bodies.decision(p, g, today, "block_exemption"), expect=(201,))
    outcome.acts += 1
