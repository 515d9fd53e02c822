"""The funding services of the three pilots as separate processes on a real nats-server (bdt's on
PostgreSQL when ESS_TEST_POSTGRES_URL is set): plans byte-identical after concurrent acts and after a
partition in which each pilot acted without seeing the others; rules judged alike by all; refusals."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.funding_system import FundingSystem, funding_system
from tests.support.sirens import fresh_siren
from tests.support.system import ESS, REPO

pytestmark = pytest.mark.system

K = 1_000_00
SIREN = "732829320"
LINES = {"staff": 60_000_00, "equipment": 40_000_00}
OPINION = {
    "opinion_id": "op1",
    "given_on": "2026-03-15",
    "outcome": "favourable",
    "eligible_total": 100 * K,
    "eligible_lines": [
        {"code": "staff", "category": "staff", "eligible_amount": 60 * K},
        {"code": "equipment", "category": "equipment", "eligible_amount": 40 * K},
    ],
    "self_financing": 10 * K,
    "in_kind": 5 * K,
}


@pytest.fixture(scope="module")
def funders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FundingSystem]:
    with funding_system(tmp_path_factory.mktemp("funding-system")) as running:
        yield running


def opened(funders: FundingSystem) -> str:
    pid = f"region-{uuid.uuid4().hex[:10]}"  # region's intake submits it: its id names region
    funders.submit(pid, LINES)
    funders.plans(pid)
    funders.ok("region", pid, "opinions", OPINION)
    return pid


def request(cents: int, request_id: str = "r1") -> dict[str, Any]:
    return {"request_id": request_id, "requested_on": "2026-03-20", "instrument": "grant", "amount": cents}


def decision(cents: int, legal_right_on: str, basis: str = "de_minimis_general", **kw: Any) -> dict[str, Any]:
    return {
        "decision_id": "d1",
        "request_id": "r1",
        "decided_on": legal_right_on,
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": cents,
        "gross_grant_equivalent": cents,
        "state_aid_basis": basis,
        "legal_right_on": legal_right_on,
        "beneficiary_siren": SIREN,
        **kw,
    }


def commitment(cents: int, on: str) -> dict[str, Any]:
    return {
        "commitment_id": "c1",
        "decision_id": "d1",
        "committed_on": on,
        "reference": "EJ-1",
        "amount": cents,
    }


def test_pilots_acting_at_once_hold_byte_identical_plans(funders: FundingSystem) -> None:
    pid = opened(funders)
    shares = {
        "state": (40 * K, "2026-04-02"),
        "bdt": (25 * K, "2026-04-03"),
        "region": (20 * K, "2026-04-04"),
    }

    def fund(pilot: str) -> None:
        cents, on = shares[pilot]
        funders.ok(pilot, pid, "requests", request(cents))
        funders.ok(pilot, pid, "decisions", decision(cents, on))
        funders.ok(pilot, pid, "commitments", commitment(cents, on))

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(fund, shares))
    plans = funders.plans(pid, lambda p: len(p["facts"]["commitments"]) == 3)
    plan = json.loads(plans["state"])
    assert plan["status"]["status"] == "fully_funded" and plan["status"]["funded"] == 100 * K


def test_pilots_acting_unseen_during_a_partition_agree_afterwards_on_every_breach(
    funders: FundingSystem,
) -> None:
    over, at_ceiling, sgei = opened(funders), opened(funders), opened(funders)
    # Each project its own beneficiary: the ledger would otherwise join the three (one undertaking).
    siren = {pid: fresh_siren() for pid in (over, at_ceiling, sgei)}
    funders.ok(
        "region",
        at_ceiling,
        "de-minimis-declarations",
        {
            "declared_on": "2026-03-10",
            "beneficiary_siren": siren[at_ceiling],
            "prior_aids": [
                {
                    "aid_ref": "epci-2023",
                    "recipient_siren": siren[at_ceiling],
                    "grantor": "epci",
                    "basis": "de_minimis_general",
                    "gross_grant_equivalent": 50 * K,
                    "legal_right_on": "2023-02-01",
                }
            ],  # one day before bdt's window opens
        },
    )
    for pid in (over, at_ceiling, sgei):
        for pilot in ("region", "state", "bdt"):
            funders.ok(pilot, pid, "requests", request(100 * K))
        funders.plans(pid, lambda p: len(p["facts"]["requests"]) == 3)

    funders.system.nats.stop()  # from here on, no pilot sees another's acts
    try:
        acts = {
            "region": [
                (over, decision(100 * K, "2025-06-01", beneficiary_siren=siren[over])),
                (over, commitment(30 * K, "2026-04-20")),
                (at_ceiling, decision(100 * K, "2025-06-01", beneficiary_siren=siren[at_ceiling])),
                (sgei, decision(50 * K, "2024-01-15", beneficiary_siren=siren[sgei])),
            ],
            "state": [
                (over, decision(100 * K, "2025-09-01", beneficiary_siren=siren[over])),
                (over, commitment(30 * K, "2026-04-15")),
                (at_ceiling, decision(100 * K, "2025-09-01", beneficiary_siren=siren[at_ceiling])),
                (sgei, decision(700 * K + 1, "2024-06-01", "de_minimis_sgei", beneficiary_siren=siren[sgei])),
            ],
            "bdt": [
                (over, decision(100 * K + 1, "2026-02-01", beneficiary_siren=siren[over])),
                (over, commitment(25 * K + 1, "2026-04-10")),
                (at_ceiling, decision(100 * K, "2026-02-01", beneficiary_siren=siren[at_ceiling])),
            ],
        }

        def act(pilot: str) -> None:
            for pid, body in acts[pilot]:
                kind = "commitments" if "commitment_id" in body else "decisions"
                answer = funders.act(pilot, pid, kind, body)
                assert answer.status_code == 201, answer.text  # alone, each act is within every rule

        with ThreadPoolExecutor(3) as pool:
            list(pool.map(act, acts))
    finally:
        funders.system.nats.start()

    over_plan = json.loads(funders.plans(over, lambda p: len(p["facts"]["commitments"]) == 3)["bdt"])
    verdicts = {v["rule"]: v for v in over_plan["verdicts"]}
    assert over_plan["status"]["status"] == "in_conflict"
    # Funding by commitment date: 15,000 own funds, bdt 25,000.01 (04-10), state 30,000 (04-15), region
    # 30,000 (04-20): region's commitment brings the plan to 100,000.01.
    assert verdicts["over_funding"]["act"] == "region/commitment/c1"
    assert verdicts["over_funding"]["total_cents"] == 100 * K + 1
    # De minimis: region 100,000 (2025-06-01), state 100,000 (2025-09-01), bdt 100,000.01 (2026-02-01).
    assert verdicts["de_minimis"]["act"] == "bdt/decision/d1"
    assert (verdicts["de_minimis"]["limit_cents"], verdicts["de_minimis"]["total_cents"]) == (
        300_000_00,
        300_000_01,
    )
    assert verdicts["de_minimis"]["window"] == "any period of three years: 2023-02-02 to 2026-02-01"
    # The ledger, across every project of the undertaking, names the same act on every pilot.
    assert [v["act"] for v in over_plan["undertaking_verdicts"]] == [f"{over}:bdt/decision/d1"]

    at_plan = json.loads(funders.plans(at_ceiling, lambda p: len(p["facts"]["decisions"]) == 3)["state"])
    assert at_plan["verdicts"] == []  # 300,000.00 exactly; the EPCI's aid of 2023-02-01 is outside

    sgei_plan = json.loads(funders.plans(sgei, lambda p: len(p["facts"]["decisions"]) == 2)["region"])
    [verdict] = sgei_plan["verdicts"]
    assert (verdict["rule"], verdict["act"], verdict["regulation"]) == (
        "de_minimis",
        "state/decision/d1",
        "(EU) 2023/2832, sgei",
    )
    assert (verdict["limit_cents"], verdict["total_cents"]) == (750_000_00, 750_000_01)


def test_a_service_refuses_to_act_in_another_pilots_name(funders: FundingSystem) -> None:
    pid = opened(funders)
    foreign_token = funders.act("state", pid, "requests", request(K), token_pilot="bdt")
    assert foreign_token.status_code == 403
    assert (
        foreign_token.json()["detail"]["reason"] == "token is for pilot 'bdt', this service acts for 'state'"
    )
    in_bdt_name = funders.act("state", pid, "requests", request(K) | {"pilot": "bdt"})
    assert in_bdt_name.status_code == 422
    assert in_bdt_name.json()["detail"]["reason"] == (
        "this funding service acts for 'state' and cannot record an act in 'bdt''s name: "
        "'bdt' records its own acts at its own funding service"
    )


def dead_letters(funders: FundingSystem) -> dict[str, int]:
    found = {}
    for pilot in ("region", "state", "bdt"):
        with funders.client(pilot) as client:
            found[pilot] = int(client.get("/status").json()["dead_letters"])
    return found


def test_an_event_written_into_a_pilots_outbox_in_another_pilots_name_is_never_applied(
    funders: FundingSystem,
) -> None:
    pid = opened(funders)
    before = dead_letters(funders)

    async def forge() -> None:  # someone with access to state's database, not to bdt's key
        from datetime import date

        from ess_contracts import funding as f
        from ess_core.messaging.db import make_engine
        from ess_core.messaging.outbox import Outbox

        payload = f.ProjectDecisionRecorded.model_validate(
            decision(999 * K, "2026-04-01") | {"decision_id": "x1"}
        )
        assert payload.legal_right_on == date(2026, 4, 1)
        engine = make_engine(funders.databases["state"])
        try:
            async with engine.begin() as conn:
                await Outbox("bdt", "funding", funders.system.signers["state"]).record(conn, pid, [payload])
        finally:
            await engine.dispose()

    asyncio.run(forge())
    deadline = time.monotonic() + 30
    while (after := dead_letters(funders)) != {p: n + 1 for p, n in before.items()}:
        assert time.monotonic() < deadline, (before, after)
        time.sleep(0.1)
    plan = json.loads(funders.plans(pid)["bdt"])
    assert plan["facts"]["decisions"] == [] and plan["verdicts"] == []


def test_ess_funding_commands_show_the_plan_and_the_reason_of_a_refusal(funders: FundingSystem) -> None:
    pid = opened(funders)
    funders.ok("state", pid, "requests", request(90 * K))
    funders.plans(pid, lambda p: len(p["facts"]["requests"]) == 1)
    child = funders.system.children[("state", "funding")]
    token = funders.system.state.token("state")
    where = ["--url", child.http_url, "--token-file", str(token)]
    body = json.dumps(
        decision(90 * K, "2026-04-01") | {"budget_lines": [{"code": "staff", "amount": 60 * K + 1}]}
    )
    refused = ess("funding", "act", "decisions", pid, "--data", body, "--pilot", "state", *where)
    assert refused.returncode == 1
    assert "coverage of line staff by this act would reach EUR 60,000.01" in refused.stderr
    shown = ess("funding", "plan", pid, *where)
    assert shown.returncode == 0 and f"{pid}: open; funded EUR 15,000.00" in shown.stdout, shown.stderr
    assert "eligible budget EUR 100,000.00" in shown.stdout

    # Over-funding acknowledged: `ess project show` tells the plan, each funder's acts and the verdict
    # as every pilot's fold judges them, from the stream alone.
    funders.ok("state", pid, "decisions", decision(90 * K, "2026-04-01"))
    held = funders.act(
        "state", pid, "commitments", commitment(90 * K, "2026-04-02") | {"acknowledge": ["over_funding"]}
    )
    assert held.status_code == 202, held.text
    listed = ess("funding", "pending", "--pilot", "state", *where)
    assert held.json()["pending_id"] in listed.stdout, listed.stderr
    state_dir = ["--state-dir", str(funders.system.state.root)]
    second = funders.system.state.token("state-second-decider")
    approved = ess(
        "funding",
        "approve",
        held.json()["pending_id"],
        "--pilot",
        "state",
        "--url",
        child.http_url,
        "--token-file",
        str(second),
        *state_dir,
    )
    assert approved.returncode == 0 and '"approved_by": "staff-' in approved.stdout, approved.stderr
    plan = json.loads(funders.plans(pid, lambda p: len(p["verdicts"]) == 1)["bdt"])
    server = ["--server", funders.system.nats.url, "--trust-file", str(funders.system.state.trust_file)]
    nowhere = ["--state-dir", str(funders.system.state.root / "no-ess-up")]
    told = ess("project", "show", pid, "--json", *server, *nowhere)
    assert told.returncode == 0, told.stderr
    found = json.loads(told.stdout)
    assert found["plan"]["status"] == plan["status"]["status"] == "over_funded"
    assert found["plan"]["funded"] == 105 * K
    assert [v["rule"] for v in found["verdicts"]] == ["over_funding"] == [v["rule"] for v in plan["verdicts"]]
    assert [r["pilot"] for r in found["facts"]["requests"]] == ["state"]
    assert [c["amount"] for c in found["facts"]["commitments"]] == [90 * K]
    table = ess("project", "show", pid, *server, *nowhere)
    assert "plan over_funded" in table.stdout and "verdict over funding" in table.stdout, table.stdout
    [both] = found["facts"]["acknowledgements"]  # from the stream alone: who went through the breach
    assert both["rules"] == "over_funding" and both["requested_by"] != both["approved_by"]
    assert f"acknowledged over_funding on {both['acknowledged_on']}: state/commitment/c1" in table.stdout

    ledger = ess("undertaking", "show", SIREN, "--as-of", "2026-04-01", *where)
    assert ledger.returncode == 0, ledger.stderr
    assert f"{SIREN} on 2026-04-01: single undertaking {SIREN}" in ledger.stdout
    assert f"2026-04-01 {pid}:state/decision/d1 {SIREN} EUR 90,000.00" in ledger.stdout
    certificate = ess("undertaking", "show", SIREN, "--certificate", *where)
    assert certificate.stdout.startswith("ATTESTATION RELATIVE AUX AIDES DE MINIMIS"), certificate.stderr


def ess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ESS), *args], capture_output=True, text=True, timeout=60, cwd=REPO)
