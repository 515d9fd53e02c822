"""Orientation to support networks (intake's acts) and follow-up reviews (each pilot's evaluation):
parts of the project view, keyed so that each row belongs to one issuer's run of events."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, PrimaryKeyConstraint, String, Table

from ess_contracts import evaluation, intake
from ess_contracts.event import Event
from ess_core.messaging.schema import metadata
from ess_core.messaging.view_idiom import InsertIgnore, Update, Upsert, Write

orientation = Table(
    "view_project_orientation",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("network_id", String(64), nullable=False),
    Column("oriented_on", String(10), nullable=False),
    Column("answer", String(16), nullable=False, comment="pending | accepted | declined"),
    Column("answered_on", String(10), nullable=True),
    Column("decline_reason", String(32), nullable=True),
    PrimaryKeyConstraint("project_id", "network_id"),
)

review = Table(
    "view_project_review",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("pilot", String(16), nullable=False),
    Column("milestone_months", Integer, nullable=False),
    Column("reviewed_on", String(10), nullable=False),
    Column("still_operating", Boolean, nullable=False),
    Column("jobs_created", Integer, nullable=False),
    Column("jobs_kept", Integer, nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "milestone_months"),
)


def oriented(event: Event, p: intake.ProjectOriented) -> list[Write]:
    rows = [
        {
            "project_id": event.aggregate_id,
            "network_id": n,
            "oriented_on": p.oriented_on.isoformat(),
            "answer": "pending",
        }
        for n in p.network_ids
    ]
    return [InsertIgnore(orientation, rows)]


def answered(
    event: Event, p: intake.ProjectOrientationAccepted | intake.ProjectOrientationDeclined
) -> list[Write]:
    if isinstance(p, intake.ProjectOrientationAccepted):
        values = {"answer": "accepted", "answered_on": p.accepted_on.isoformat(), "decline_reason": None}
    else:
        values = {"answer": "declined", "answered_on": p.declined_on.isoformat(), "decline_reason": p.reason}
    return [Update(orientation, {"project_id": event.aggregate_id, "network_id": p.network_id}, values)]


def reviewed(event: Event, p: evaluation.ProjectReviewRecorded) -> list[Write]:
    row = {
        "project_id": event.aggregate_id,
        "pilot": event.pilot,
        "milestone_months": p.milestone_months,
        "reviewed_on": p.reviewed_on.isoformat(),
        "still_operating": p.still_operating,
        "jobs_created": p.jobs_created,
        "jobs_kept": p.jobs_kept,
    }
    return [Upsert(review, [row], ("project_id", "pilot", "milestone_months"))]
