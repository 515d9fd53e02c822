"""The federation scenario's acts, through any running topology's HTTP services (processes under
`ess up`, or containers): intake submissions, the region's opinion, each funder's request, decision and
commitment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from tests.support.intake_data import submission


class Topology(Protocol):
    def client(self, pilot: str, service: str, token_pilot: str | None = None) -> httpx.Client: ...


K = 1_000_00  # a thousand euros, in cents
SIREN = "732829320"


def after_submission(days: int) -> str:
    """Acts come after the project's submission (today, as the services date it; a day's margin covers a
    run across midnight): funding refuses an act dated before it."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


SHARES = {
    "state": (40 * K, after_submission(2)),
    "bdt": (25 * K, after_submission(3)),
    "region": (20 * K, after_submission(4)),
}


def created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201, 202), answer.text
    return dict(answer.json())


def submit(system: Topology, title: str) -> str:
    with system.client("region", "intake") as intake:
        return str(created(intake.post("/projects", json=submission(title=title)))["project_id"])


def wait_for_plan(system: Topology, pilot: str, pid: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    with system.client(pilot, "funding") as funding:
        while funding.get(f"/projects/{pid}/plan").status_code != 200:
            assert time.monotonic() < deadline, f"{pilot} never saw project {pid}"
            time.sleep(0.1)


def fund(system: Topology, pilot: str, pid: str) -> None:
    cents, on = SHARES[pilot]
    wait_for_plan(system, pilot, pid)
    with system.client(pilot, "funding") as funding:
        acts = [
            (
                "requests",
                {
                    "request_id": "r1",
                    "requested_on": after_submission(1),
                    "instrument": "grant",
                    "amount": cents,
                },
            ),
            (
                "decisions",
                {
                    "decision_id": "d1",
                    "request_id": "r1",
                    "decided_on": on,
                    "outcome": "granted",
                    "instrument": "grant",
                    "nominal_amount": cents,
                    "gross_grant_equivalent": cents,
                    "state_aid_basis": "de_minimis_general",
                    "legal_right_on": on,
                    "beneficiary_siren": SIREN,
                },
            ),
            (
                "commitments",
                {
                    "commitment_id": "c1",
                    "decision_id": "d1",
                    "committed_on": on,
                    "reference": f"EJ-{pilot}",
                    "amount": cents,
                },
            ),
        ]
        for kind, body in acts:
            created(funding.post(f"/projects/{pid}/{kind}", json=body))


def give_opinion(system: Topology, pid: str) -> None:
    """The region's favourable opinion on the budget intake published, after its funding saw the project."""
    wait_for_plan(system, "region", pid)
    with system.client("region", "funding") as region:
        created(
            region.post(
                f"/projects/{pid}/opinions",
                json={
                    "opinion_id": "op1",
                    "given_on": after_submission(1),
                    "outcome": "favourable",
                    "eligible_total": 120_000_50,
                    "eligible_lines": [
                        {"code": line, "category": category, "eligible_amount": amount}
                        for line, category, amount in budget_lines(system, pid)
                    ],
                    "self_financing": 10 * K,
                    "in_kind": 5 * K,
                },
            )
        )


def budget_lines(system: Topology, pid: str) -> list[tuple[str, str, int]]:
    """The budget lines as intake published them (codes are intake's), read from a funding plan."""
    with system.client("region", "funding") as funding:
        plan = funding.get(f"/projects/{pid}/plan").json()
    return [(line["code"], line["category"], line["amount"]) for line in plan["facts"]["budget"]]
