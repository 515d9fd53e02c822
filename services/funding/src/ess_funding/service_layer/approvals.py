"""Four eyes on a breach: an act that goes through an over-funding or double-funding breach is held until a
second decider of the same pilot approves it. Nothing is signed before: the first request is kept in
this service's own table (`funding_pending_act`); the approval records the act and, beside it, the signed
`project_breach_acknowledged` naming both deciders by the opaque ids their pilot gives them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import uuid_utils
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import funding as f
from ess_contracts.event import Event
from ess_contracts.types import format_timestamp
from ess_core.auth.alias import staff_alias
from ess_core.messaging.outbox import Outbox
from ess_core.refusals import Conflict, Forbidden, NotFound
from ess_funding.adapters.tables import pending_act
from ess_funding.domain.acts import BY_PATH, Act, parse_act
from ess_views.funding_plan.verdict import Verdict


@dataclass(frozen=True)
class Approval:
    """The second decider's approval of a held act."""

    pending_id: str
    requested_by: str  # token subjects: they stay in this database
    approved_by: str


@dataclass(frozen=True)
class Held:
    """The act waits for a second decider; these are the breaches it would go through."""

    pending_id: str
    act: Act
    verdicts: tuple[Verdict, ...]


async def hold(conn: AsyncConnection, project_id: str, act: Act, requested_by: str) -> str:
    pending_id = f"pa-{uuid_utils.uuid7().hex}"
    await conn.execute(
        insert(pending_act).values(
            pending_id=pending_id,
            project_id=project_id,
            kind=act.kind.path,
            body=json.dumps(act.payload.model_dump(mode="json"), sort_keys=True),
            acknowledge=",".join(sorted(act.acknowledge)),
            requested_by=requested_by,
            requested_at=format_timestamp(datetime.now(UTC)),
            status="pending",
        )
    )
    return pending_id


def acknowledgement(
    box: Outbox, act_key: str, event: Event, verdicts: tuple[Verdict, ...], approval: Approval, on: date
) -> f.ProjectBreachAcknowledged:
    return f.ProjectBreachAcknowledged(
        act=act_key,
        act_event_id=event.id,
        rules=tuple(sorted({v.rule for v in verdicts})),
        acknowledged_on=on,
        requested_by=staff_alias(box.signer, approval.requested_by),
        approved_by=staff_alias(box.signer, approval.approved_by),
    )


async def mark_approved(conn: AsyncConnection, approval: Approval, event_id: str) -> None:
    """In the act's transaction: of two deciders approving at once, one records the act, the other is
    refused and nothing of theirs is kept."""
    result = await conn.execute(
        update(pending_act)
        .where(pending_act.c.pending_id == approval.pending_id, pending_act.c.status == "pending")
        .values(status="approved", approved_by=approval.approved_by, event_id=event_id)
    )
    if result.rowcount != 1:
        raise Conflict(f"{approval.pending_id} was approved meanwhile", pending_id=approval.pending_id)


async def pending(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The acts waiting for a second decider, oldest first."""
    query = select(pending_act).where(pending_act.c.status == "pending").order_by(pending_act.c.requested_at)
    return [
        {
            "pending_id": r["pending_id"],
            "project_id": r["project_id"],
            "kind": r["kind"],
            "act": json.loads(r["body"]),
            "acknowledge": r["acknowledge"].split(","),
            "requested_at": r["requested_at"],
        }
        for r in (await conn.execute(query)).mappings()
    ]


async def approval_of(
    conn: AsyncConnection, pending_id: str, approver: str, pilot: str
) -> tuple[str, Act, Approval]:
    """The held act and its approval by `approver`, or why it cannot be approved."""
    row = (
        (await conn.execute(select(pending_act).where(pending_act.c.pending_id == pending_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no act of {pilot} waits for approval as {pending_id}")
    if row["status"] != "pending":
        raise Conflict(f"{pending_id} is already {row['status']}", pending_id=pending_id)
    rules = row["acknowledge"]
    if row["requested_by"] == approver:
        raise Forbidden(
            f"{rules.replace(',', ', ')}: a breach is acknowledged by two deciders of {pilot}; "
            "the decider who asked for it cannot approve it too",
            rules=rules.split(","),
        )
    body = {**json.loads(row["body"]), "acknowledge": rules.split(",")}
    act = parse_act(BY_PATH[row["kind"]], body, pilot)
    return row["project_id"], act, Approval(pending_id, row["requested_by"], approver)
