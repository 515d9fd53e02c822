"""The evaluation service as a pilot runs it (its own process, a real nats-server, SQLite and PostgreSQL),
checked from outside: the test publishes two years of submissions and funding acts on the stream, acts
through the HTTP API, reads every event back from the stream and works out the figures itself. It never
imports the service's code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext
from sqlalchemy import select

from ess_contracts import evaluation as ev
from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.signing import TrustFile, TrustStore
from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import access_log
from tests.support.databases import BACKENDS, database_url
from tests.support.evaluation_expected import expected_figures, expected_overdue, read_stream
from tests.support.evaluation_scenario import story
from tests.support.evaluation_service import EvaluationProcess, Keys, evaluation_service
from tests.support.harness import publish
from tests.support.intake_service import stream_messages

STRATEGY: dict[str, Any] = {
    "defined_on": "2023-01-01",
    "actions": [
        {"code": "T-A1", "title": "Test action one", "lead_pilots": ["region"],
         "objectives": ["O1", "O2", "O3"]},
        {"code": "T-A2", "title": "Test action two", "lead_pilots": ["state", "bdt"],
         "objectives": ["O13", "O14"]},
    ],
    "indicators": [
        {"code": "T-SUB", "title": "Submitted", "kind": "output", "direction": "increase", "unit": "count",
         "source": "derived", "derivation": "projects_submitted", "targets": {"2025": 5}},
        {"code": "T-FUND1", "title": "Funded, action one", "action_code": "T-A1", "kind": "outcome",
         "direction": "increase", "unit": "count", "source": "derived", "derivation": "projects_funded",
         "targets": {"2025": 2}},
        {"code": "T-COMMIT2", "title": "Committed, action two", "action_code": "T-A2", "kind": "output",
         "direction": "increase", "unit": "cents", "source": "derived", "derivation": "funds_committed"},
        {"code": "T-SHARE", "title": "Plans fully funded", "kind": "outcome", "direction": "increase",
         "unit": "percent", "scale": 1, "source": "derived", "derivation": "plans_fully_funded_share",
         "targets": {"2025": 600}},
        {"code": "T-DAYS", "title": "Days to first decision", "kind": "outcome", "direction": "decrease",
         "unit": "days", "source": "derived", "derivation": "median_days_to_first_decision",
         "targets": {"2025": 60}},
        {"code": "T-TRAINED", "title": "People trained", "action_code": "T-A1", "kind": "output",
         "direction": "increase", "unit": "count", "source": "measured", "targets": {"2025": 10}},
        {"code": "T-EPCI", "title": "EPCI partnerships", "action_code": "T-A2", "kind": "output",
         "direction": "increase", "unit": "count", "source": "measured"},
    ],
}  # fmt: skip


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        yield url


def _measure(period_end: str, value: int, **extra: Any) -> dict[str, Any]:
    return {
        "period_start": "2025-01-01",
        "period_end": period_end,
        "value": value,
        "source": "pilot_records",
        **extra,
    }


async def _act(service: EvaluationProcess, js: JetStreamContext) -> None:
    """The region's evaluation staff act through the API; one refusal of each kind."""
    async with service.client() as api:
        assert (await api.post("/strategy", json=STRATEGY)).status_code == 202
        await service.settle(js)  # the definitions come back from the stream into the view
        accepted = await api.post(
            "/indicators/T-TRAINED/measures", json=_measure("2025-06-30", 4, measure_id="q2")
        )
        assert accepted.status_code == 202, accepted.text
        again = await api.post(
            "/indicators/T-TRAINED/measures", json=_measure("2025-06-30", 6, measure_id="q2")
        )
        assert again.status_code == 202  # the same measure id replaces: 6, not 10
        refused = await api.post("/indicators/T-EPCI/measures", json=_measure("2025-12-31", 3))
        assert refused.status_code == 403, refused.text
        detail = refused.json()["detail"]
        assert detail["action_code"] == "T-A2" and detail["lead_pilots"] == ["state", "bdt"]
        assert "'region' does not lead action T-A2" in detail["reason"] and "state, bdt" in detail["reason"]
        derived = await api.post("/indicators/T-SUB/measures", json=_measure("2025-12-31", 3))
        assert derived.status_code == 422 and "derived" in derived.json()["detail"]["reason"]
        review = {"milestone_months": 12, "reviewed_on": "2025-05-10", "still_operating": True,
                  "jobs_created": 2, "jobs_kept": 3}  # fmt: skip
        remarked = {**review, "remark": REMARK}
        assert (await api.post("/projects/region-pa/reviews", json=remarked)).status_code == 202
        unfunded = await api.post("/projects/region-pd/reviews", json=review)
        assert unfunded.status_code == 422 and "not funded" in unfunded.json()["detail"]["reason"]
        item = {"action_code": "T-A1", "kind": "decision", "text": "Poursuivre", "progress": "on_track"}
        session = {"held_on": "2025-06-05", "pilots_present": ["region", "state"], "items": [item]}
        assert (await api.post("/sessions", json=session)).status_code == 202


REMARK = "Gérante, Mme Martin (06 98 76 54 32), envisage de céder."


async def _remark_opened_for_staff_only(region: EvaluationProcess, js: JetStreamContext, db_url: str) -> None:
    """The remark travelled sealed; staff read it, and the read is logged; an operator does not."""
    on_stream = [
        data for _, data, _ in await stream_messages(js, "ess.region.evaluation.project.region-pa.>")
    ]
    assert on_stream and not any(REMARK.encode() in data for data in on_stream)
    done = {"as_of": "2025-06-01", "state": "done"}
    async with region.client() as api:
        listed = (await api.get("/reviews", params=done)).json()
    assert [r["remark"] for r in listed if r["reviewed_by"] == "region"] == [REMARK]
    operator = {"Authorization": f"Bearer {region.keys.token('region', ('operator',))}"}
    async with httpx.AsyncClient(base_url=region.url, headers=operator, timeout=30) as api:
        listed = (await api.get("/reviews", params=done)).json()
    assert listed and all(r["remark"] is None for r in listed)
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        reads = (await conn.execute(select(access_log.c.project_id, access_log.c.fields))).all()
    await engine.dispose()
    assert [tuple(r) for r in reads] == [("region-pa", ev.REVIEW_REMARK_FIELD)]  # staff's read only


def _forged_lead(keys: Keys) -> Any:
    """A measure bdt signs for an action only the region leads: on the stream, but it must not count."""
    payload = ev.IndicatorMeasureRecorded(
        measure_id="bdt-1",
        indicator_code="T-TRAINED",
        action_code="T-A1",
        recorded_on=date(2026, 1, 2),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        value=100,
        source="other",
    )
    event = new_event(payload, pilot="bdt", service="evaluation", aggregate_id="T-TRAINED", sequence=1)
    return encode(event, keys.signers["bdt"])


async def test_derived_indicators_overdue_reviews_and_lead_pilots_against_the_stream(
    db_url: str, nats_url: str, js_stream: tuple[Any, JetStreamContext], tmp_path: Path
) -> None:
    _, js = js_stream
    keys = Keys.generate(tmp_path / "keys")
    s = story()
    await publish(js, [encode(e, keys.signers[p]) for p, e in s.events])
    with evaluation_service(keys, "region", nats_url, db_url, tmp_path) as region:
        await _act(region, js)
        await publish(js, [_forged_lead(keys)])
        await region.settle(js)
        events = await read_stream(js, TrustStore(TrustFile.load(keys.trust_file)))
        # the review reminders' scheduler signs `project_review_due` whenever its tick comes: not counted
        acts = [e for e in events if e.type != "project_review_due"]
        assert len(acts) == len(s.events) + 2 + 7 + 2 + 1 + 1 + 1  # story, strategy, measures, review...
        async with region.client() as api:
            paths = (await api.get("/openapi.json")).json()["paths"]
            assert {"/strategy", "/indicators/{code}/measures", "/figures", "/reviews"} <= set(paths)
            for year in (2024, 2025, 2026):
                figures = (await api.get("/figures", params={"year": year})).json()
                assert figures == expected_figures(events, year), year
            actuals = {
                a["code"]: a for a in (await api.get("/indicators/actuals", params={"year": 2025})).json()
            }
            overdue = {
                day: [
                    (r["project_id"], r["milestone_months"], date.fromisoformat(r["due_on"]))
                    for r in (await api.get("/reviews", params={"as_of": day, "state": "overdue"})).json()
                ]
                for day in ("2025-04-20", "2025-05-01", "2025-05-10", "2026-02-01", "2026-07-01")
            }
        await _remark_opened_for_staff_only(region, js, db_url)
    for day, listed in overdue.items():
        assert listed == expected_overdue(events, date.fromisoformat(day)), day
    _hand_computed(expected_figures(events, 2025), expected_figures(events, 2024), actuals, overdue)


def _hand_computed(
    f2025: dict[str, Any], f2024: dict[str, Any], actuals: dict[str, Any], overdue: dict[str, Any]
) -> None:
    """A few figures worked out on paper from the story (tests/support/evaluation_scenario.py)."""
    m = f2025["metrics"]
    assert m["projects_submitted"]["total"] == {"all": 4}  # pc, pd, pe, pf
    assert m["projects_submitted"]["department"] == {"44": 2, "53": 1, "85": 1}  # pe corrected to 53
    assert m["projects_qualified"]["total"] == {"all": 2}  # pc, pe (pd ineligible)
    assert m["projects_funded"]["total"] == {"all": 3}  # pb, pc (bdt's), pe; state's pc cancelled in 2025
    assert m["projects_funded"]["pilot"] == {"bdt": 1, "region": 2}
    assert m["jobs_planned"]["total"] == {"all": 11}  # pb 6 + pc 3 + pe 2
    assert m["funds_committed"]["pilot_instrument"] == {
        "bdt/repayable_advance": 10_000_00,
        "region/grant": 20_000_00,
        "region/honour_loan": 8_000_00,
    }
    assert m["funds_disbursed"]["total"] == {"all": 23_000_00}  # pa 15k + pe 8k
    assert (f2025["plans"], f2025["plans_fully_funded"], f2025["fully_funded_percent"]) == (
        2,
        1,
        {"value": 500, "scale": 1},
    )
    assert f2025["median_days_to_first_decision"] == {"value": 570, "scale": 1}  # 42, 57, 64 days
    assert f2024["median_days_to_first_decision"] == {"value": 655, "scale": 1}  # 65 and 66 days
    assert f2024["fully_funded_percent"] == {"value": 1000, "scale": 1}
    assert (actuals["T-SUB"]["actual"], actuals["T-SUB"]["status"]) == (4, "not_reached")
    assert (actuals["T-FUND1"]["actual"], actuals["T-FUND1"]["status"]) == (3, "reached")  # pb, pc, pe
    assert actuals["T-COMMIT2"]["actual"] == 10_000_00  # pc (O13) by bdt; pa (O14) was committed in 2024
    assert (actuals["T-SHARE"]["actual"], actuals["T-SHARE"]["status"]) == (500, "not_reached")
    assert (actuals["T-DAYS"]["actual"], actuals["T-DAYS"]["status"]) == (57, "reached")
    assert (actuals["T-TRAINED"]["actual"], actuals["T-TRAINED"]["measures"]) == (6, 1)  # bdt's 100 refused
    assert actuals["T-EPCI"]["status"] == "no_data"
    assert overdue == {
        "2025-04-20": [],  # pa's 12-month review is due that day, not yet late
        "2025-05-01": [("region-pa", 12, date(2025, 4, 20))],
        "2025-05-10": [],  # held that day
        "2026-02-01": [("region-pb", 12, date(2026, 1, 20))],
        "2026-07-01": [
            ("region-pb", 12, date(2026, 1, 20)),
            ("region-pa", 24, date(2026, 4, 20)),
            ("region-pc", 12, date(2026, 6, 1)),
        ],
    }
