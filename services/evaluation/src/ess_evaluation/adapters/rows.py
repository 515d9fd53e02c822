"""Between view rows and domain objects: one function per table, both ways where the fold needs it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ess_contracts.sealing import Sealed
from ess_evaluation.domain.calendar import parse_day
from ess_evaluation.domain.portfolio import (
    CofunderLine,
    Commitment,
    Decision,
    Disbursement,
    Opinion,
    Project,
    Request,
    project_objectives,
)
from ess_evaluation.domain.reviews import Due, Review
from ess_evaluation.domain.sessions import Session, SessionItem
from ess_evaluation.domain.strategy import ActionDef, IndicatorDef, Measure

Row = Mapping[Any, Any]


def day(value: str) -> date:
    return date.fromisoformat(value)


def codes(text: str) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def action(r: Row) -> ActionDef:
    return ActionDef(
        code=r["code"],
        pilot=r["pilot"],
        event_id=r["event_id"],
        defined_on=day(r["defined_on"]),
        title=r["title"],
        lead_pilots=codes(r["lead_pilots"]),
        objectives=codes(r["objectives"]),
        example=bool(r["example"]),
    )


def indicator(r: Row, targets: Iterable[Row]) -> IndicatorDef:
    return IndicatorDef(
        code=r["code"],
        pilot=r["pilot"],
        event_id=r["event_id"],
        defined_on=day(r["defined_on"]),
        title=r["title"],
        action_code=r["action_code"],
        kind=r["kind"],
        direction=r["direction"],
        unit=r["unit"],
        scale=r["scale"],
        source=r["source"],
        derivation=r["derivation"],
        targets={t["year"]: t["value"] for t in targets},
        example=bool(r["example"]),
    )


def measure(r: Row) -> Measure:
    return Measure(
        indicator_code=r["indicator_code"],
        pilot=r["pilot"],
        measure_id=r["measure_id"],
        action_code=r["action_code"],
        recorded_on=day(r["recorded_on"]),
        period_start=day(r["period_start"]),
        period_end=day(r["period_end"]),
        value=r["value"],
        scale=r["scale"],
        source=r["source"],
        remark=r["remark"],
    )


def project(r: Row) -> Project:
    return Project(
        project_id=r["project_id"],
        intake_pilot=r["pilot"],
        submitted_on=day(r["submitted_on"]),
        department=r["qualified_department"] or r["department"],
        objectives=project_objectives(
            r["stage"], bool(r["third_place"]), bool(r["epci_partner"]), codes(r["qualified_objectives"])
        ),
        planned_jobs=r["planned_jobs"],
        qualified_on=parse_day(r["qualified_on"]) if r["eligible"] else None,
        oriented_on=parse_day(r["first_oriented_on"]),
    )


def request(r: Row) -> Request:
    return Request(
        r["project_id"], r["pilot"], r["request_id"], day(r["requested_on"]), r["instrument"], r["amount"]
    )


def decision(r: Row) -> Decision:
    return Decision(
        project_id=r["project_id"],
        pilot=r["pilot"],
        decision_id=r["decision_id"],
        decided_on=day(r["decided_on"]),
        outcome=r["outcome"],
        instrument=r["instrument"],
        nominal_amount=r["nominal_amount"],
        cancelled_on=parse_day(r["cancelled_on"]),
    )


def commitment(r: Row) -> Commitment:
    return Commitment(
        r["project_id"], r["pilot"], r["commitment_id"], r["decision_id"], day(r["committed_on"]), r["amount"]
    )


def disbursement(r: Row) -> Disbursement:
    return Disbursement(
        r["project_id"], r["pilot"], r["disbursement_id"], r["commitment_id"], day(r["paid_on"]), r["amount"]
    )


def opinion(r: Row) -> Opinion:
    return Opinion(
        project_id=r["project_id"],
        pilot=r["pilot"],
        opinion_id=r["opinion_id"],
        event_id=r["event_id"],
        given_on=day(r["given_on"]),
        outcome=r["outcome"],
        eligible_total=r["eligible_total"],
        self_financing=r["self_financing"],
        in_kind=r["in_kind"],
    )


def cofunder_line(r: Row) -> CofunderLine:
    return CofunderLine(
        r["project_id"], r["pilot"], r["line_id"], day(r["declared_on"]), r["amount"], r["status"]
    )


def due(r: Row) -> Due:
    return Due(r["project_id"], r["milestone_months"], day(r["first_committed_on"]), day(r["due_on"]))


def due_row(d: Due) -> dict[str, Any]:
    return {
        "project_id": d.project_id,
        "milestone_months": d.milestone_months,
        "first_committed_on": d.first_committed_on.isoformat(),
        "due_on": d.due_on.isoformat(),
    }


def review(r: Row) -> Review:
    return Review(
        project_id=r["project_id"],
        milestone_months=r["milestone_months"],
        pilot=r["pilot"],
        reviewed_on=day(r["reviewed_on"]),
        still_operating=bool(r["still_operating"]),
        jobs_created=r["jobs_created"],
        jobs_kept=r["jobs_kept"],
        remark=Sealed(key=r["remark_key"], box=r["remark_box"]) if r["remark_key"] else None,
    )


def session(r: Row, items: Iterable[Row]) -> Session:
    return Session(
        session_id=r["session_id"],
        pilot=r["pilot"],
        held_on=day(r["held_on"]),
        kind=r["kind"],
        pilots_present=codes(r["pilots_present"]),
        items=tuple(SessionItem(i["action_code"], i["kind"], i["text"], i["progress"]) for i in items),
    )
