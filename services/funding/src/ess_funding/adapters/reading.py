"""Reading the plan view: one project's plan as a document, and the funders' committee agenda."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.sealing import Sealed
from ess_views.funding_plan import tables as t
from ess_views.funding_plan.agenda import on_agenda
from ess_views.funding_plan.facts import Plan
from ess_views.funding_plan.store import load_plan, plan_digest, read_status, read_verdicts
from ess_views.project import project
from ess_views.undertaking.ledger import judge_ledger
from ess_views.undertaking.store import load_ledger


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def plan_document(conn: AsyncConnection, project_id: str) -> dict[str, Any] | None:
    """The plan as every pilot holds it (money in integer cents), or None for a project never seen."""
    status = await read_status(conn, project_id)
    if status is None:
        return None
    plan = await load_plan(conn, project_id)
    facts = _plain(asdict(plan))
    facts.pop("project_id")
    return {
        "project_id": project_id,
        "status": status,
        "verdicts": [v.as_dict() for v in await read_verdicts(conn, project_id)],
        "undertaking_verdicts": await undertaking_verdicts(conn, project_id, plan),
        "facts": facts,
        "digest": await plan_digest(conn, project_id),
    }


async def undertaking_verdicts(conn: AsyncConnection, project_id: str, plan: Plan) -> list[dict[str, Any]]:
    """The ledger's verdicts that name an aid of this project: de minimis across every project and
    funder of the beneficiary's single undertaking (the plan's own verdicts see this project only)."""
    sirens = {d.beneficiary_siren for d in plan.decisions if d.beneficiary_siren}
    sirens |= {c.beneficiary_siren for c in plan.cofunders if c.beneficiary_siren}
    if not sirens:
        return []
    verdicts = judge_ledger(await load_ledger(conn, sirens))
    return [v.as_dict() for v in verdicts if v.act.startswith(f"{project_id}:")]


async def sealed_title(conn: AsyncConnection, project_id: str) -> Sealed | None:
    """The project's title as the view holds it, sealed; None before intake's submission arrived."""
    query = select(project.c.title_key, project.c.title_box).where(project.c.project_id == project_id)
    row = (await conn.execute(query)).first()
    return Sealed(key=row.title_key, box=row.title_box) if row else None


async def agenda(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Projects waiting for decisions from two funders or more, with what each funder waits for."""
    ids = union(select(t.request.c.project_id), select(t.cofunder.c.project_id))
    entries = []
    for project_id in sorted((await conn.scalars(ids)).all()):
        waiting = on_agenda(await load_plan(conn, project_id))
        if waiting is None:
            continue
        entries.append(
            {
                "project_id": project_id,
                "title": await sealed_title(conn, project_id),
                "waiting": [{"funder": w.funder, "pending": [asdict(p) for p in w.pending]} for w in waiting],
            }
        )
    return entries
