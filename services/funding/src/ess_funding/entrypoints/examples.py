"""One realistic body per act, shown in the OpenAPI document (and sent by the API's fuzz test, which
holds each to its contract): a state funder's instruction of a cooperative's third place, EUR 100,000
eligible, with de minimis aid to SIREN 732829320. Money is integer cents."""

from __future__ import annotations

from typing import Any

SIREN = "732829320"

EXAMPLES: dict[str, dict[str, Any]] = {
    "requests": {
        "request_id": "r1",
        "requested_on": "2026-03-20",
        "instrument": "grant",
        "amount": 40_000_00,
        "budget_lines": ["staff"],
    },
    "opinions": {
        "opinion_id": "op1",
        "given_on": "2026-03-15",
        "outcome": "favourable",
        "eligible_total": 100_000_00,
        "eligible_lines": [
            {"code": "staff", "category": "staff", "eligible_amount": 60_000_00},
            {"code": "equipment", "category": "equipment", "eligible_amount": 40_000_00},
        ],
        "self_financing": 10_000_00,
        "in_kind": 5_000_00,
    },
    "cofunders": {
        "cofunder_line_id": "cf1",
        "declared_on": "2026-04-08",
        "kind": "departement",
        "instrument": "grant",
        "amount": 10_000_00,
        "status": "granted",
        "budget_lines": [{"code": "equipment", "amount": 10_000_00}],
        "state_aid_basis": "not_state_aid",
    },
    "de-minimis-declarations": {
        "declared_on": "2026-03-10",
        "beneficiary_siren": SIREN,
        "prior_aids": [
            {
                "aid_ref": "epci-2025",
                "recipient_siren": SIREN,
                "grantor": "epci",
                "basis": "de_minimis_general",
                "gross_grant_equivalent": 20_000_00,
                "legal_right_on": "2025-01-10",
            }
        ],
    },
    "decisions": {
        "decision_id": "d1",
        "request_id": "r1",
        "decided_on": "2026-04-02",
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": 40_000_00,
        "gross_grant_equivalent": 40_000_00,
        "state_aid_basis": "de_minimis_general",
        "legal_right_on": "2026-04-02",
        "beneficiary_siren": SIREN,
        "budget_lines": [{"code": "staff", "amount": 40_000_00}],
    },
    "commitments": {
        "commitment_id": "c1",
        "decision_id": "d1",
        "committed_on": "2026-04-15",
        "reference": "EJ-2026-0415",
        "amount": 40_000_00,
    },
    "tranches": {
        "tranche_id": "t1",
        "commitment_id": "c1",
        "due_on": "2026-05-01",
        "amount": 20_000_00,
        "trigger": "on_signature",
    },
    "disbursements": {
        "disbursement_id": "v1",
        "commitment_id": "c1",
        "tranche_id": "t1",
        "paid_on": "2026-05-04",
        "amount": 20_000_00,
    },
    "cancellations": {"decision_id": "d1", "cancelled_on": "2026-06-01", "reason": "beneficiary_withdrew"},
    "recoveries": {
        "recovery_id": "rc1",
        "decision_id": "d1",
        "ordered_on": "2026-09-01",
        "amount": 5_000_00,
        "reason": "unspent_funds",
    },
}
