"""A funding plan story told by four issuers (region's intake, and the three pilots' funding services),
with figures worked out by hand so that the plan breaks three rules, each by one act of one pilot.

Eligible budget EUR 100,000.00 (staff 60,000, equipment 40,000), self-financing 10,000, in-kind 5,000.
Funding in date order: département co-funding 10,000 (04-08) 25,000; bdt 25,000.01 (04-10) 50,000.01;
state 40,000 (04-15) 90,000.01; region 20,000 (04-20) 110,000.01: region's commitment crosses the line.
Equipment (40,000): département 10,000 (04-08), bdt 30,000.01 (04-09): bdt's decision double-funds it.
De minimis (2023/2831, 300,000 over three years): prior aid 210,000 (2025-01-10), state 40,000 (04-02),
region 20,000 (04-05), bdt 30,000.01 (04-09): 300,000.01, bdt's decision crosses the ceiling.
"""

from __future__ import annotations

from datetime import date

from ess_contracts import funding as f
from ess_contracts.event import Event
from ess_contracts.types import Pilot
from tests.support import events as ev
from tests.support.funding_services import submission

SIREN = "732829320"
DEPARTEMENT = "200000008"


def decision(decision_id: str, cents: int, on: date, **kw: object) -> f.ProjectDecisionRecorded:
    fields: dict[str, object] = {
        "decision_id": decision_id,
        "request_id": f"r-{decision_id}",
        "decided_on": on,
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": cents,
        "gross_grant_equivalent": cents,
        "state_aid_basis": "de_minimis_general",
        "legal_right_on": on,
        "beneficiary_siren": SIREN,
    }
    return f.ProjectDecisionRecorded.model_validate({**fields, **kw})


def request(request_id: str, cents: int) -> f.ProjectFundingRequested:
    return f.ProjectFundingRequested(
        request_id=request_id, requested_on=date(2026, 3, 20), instrument="grant", amount=cents
    )


def commitment(commitment_id: str, decision_id: str, cents: int, on: date) -> f.ProjectCommitmentRecorded:
    return f.ProjectCommitmentRecorded(
        commitment_id=commitment_id,
        decision_id=decision_id,
        committed_on=on,
        reference=f"EJ-{commitment_id}",
        amount=cents,
    )


def opinion() -> f.ProjectOpinionGiven:
    return f.ProjectOpinionGiven(
        opinion_id="op1",
        given_on=date(2026, 3, 15),
        outcome="favourable",
        eligible_total=100_000_00,
        eligible_lines=(
            f.EligibleLine(code="staff", category="staff", eligible_amount=60_000_00),
            f.EligibleLine(code="equipment", category="equipment", eligible_amount=40_000_00),
        ),
        self_financing=10_000_00,
        in_kind=5_000_00,
    )


def departement() -> f.ProjectCofunderDeclared:
    return f.ProjectCofunderDeclared(
        cofunder_line_id="cf1",
        declared_on=date(2026, 4, 8),
        kind="departement",
        cofunder_siren=DEPARTEMENT,
        instrument="grant",
        amount=10_000_00,
        status="granted",
        budget_lines=(f.LineAmount(code="equipment", amount=10_000_00),),
        state_aid_basis="not_state_aid",
    )


def declaration() -> f.ProjectDeMinimisDeclared:
    prior = f.PriorAid(
        aid_ref="aid-2025",
        recipient_siren=SIREN,
        grantor="epci",
        basis="de_minimis_general",
        gross_grant_equivalent=210_000_00,
        legal_right_on=date(2025, 1, 10),
    )
    return f.ProjectDeMinimisDeclared(
        declared_on=date(2026, 3, 10), beneficiary_siren=SIREN, prior_aids=(prior,)
    )


def story(project_id: str) -> list[tuple[Pilot, Event]]:
    staff = (f.LineAmount(code="staff", amount=40_000_00),)
    acts: dict[Pilot, list[object]] = {
        "region": [
            opinion(),
            declaration(),
            request("r-d1", 20_000_00),
            decision(
                "d1", 20_000_00, date(2026, 4, 5), budget_lines=({"code": "staff", "amount": 20_000_00},)
            ),
            commitment("c1", "d1", 20_000_00, date(2026, 4, 20)),
        ],
        "state": [
            request("r-d1", 40_000_00),
            decision("d1", 40_000_00, date(2026, 4, 2), budget_lines=staff),
            commitment("c1", "d1", 40_000_00, date(2026, 4, 15)),
            departement(),
            request("r-d2", 5_000_00),
            decision(
                "d2",
                0,
                date(2026, 4, 3),
                outcome="refused",
                gross_grant_equivalent=0,
                state_aid_basis=None,
                legal_right_on=None,
            ),
        ],
        "bdt": [
            request("r-d1", 30_000_01),
            decision(
                "d1", 30_000_01, date(2026, 4, 9), budget_lines=({"code": "equipment", "amount": 30_000_01},)
            ),
            commitment("c1", "d1", 25_000_01, date(2026, 4, 10)),
        ],
    }
    told: list[tuple[Pilot, Event]] = [
        ("region", ev.event(submission(LINES), "region", "intake", project_id, 1))
    ]
    for pilot, payloads in acts.items():
        for sequence, payload in enumerate(payloads, start=1):
            told.append((pilot, ev.event(payload, pilot, "funding", project_id, sequence, minutes=sequence)))
    return told


LINES = {"staff": 60_000_00, "equipment": 40_000_00}
