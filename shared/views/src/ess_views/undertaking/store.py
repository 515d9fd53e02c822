"""Loading the ledger of some SIRENs from the rows: the ledger's own tables and the plan view's facts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_views.funding_plan import tables as plan
from ess_views.funding_plan.deminimis import SCOPES
from ess_views.undertaking import tables as t
from ess_views.undertaking.ledger import Entry, Ledger, Link, aid_entry, component

DE_MINIMIS = tuple(SCOPES)
LEDGER_RULES = 2  # the rules version from which the ledger judges an act (ess_contracts.funding)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def linked_sirens(conn: AsyncConnection, sirens: Iterable[str]) -> tuple[frozenset[str], list[Link]]:
    """Every SIREN ever joined to `sirens` by a link that stands (at any date), and those links."""
    found: set[str] = set(sirens)
    frontier, links = set(found), {}
    while frontier:
        query = select(t.link).where(
            t.link.c.withdrawn_on.is_(None),
            or_(t.link.c.controlling_siren.in_(frontier), t.link.c.controlled_siren.in_(frontier)),
        )
        for row in (await conn.execute(query)).mappings():
            links[(row["pilot"], row["link_id"])] = _link(row)
        reached = component(found, links.values())
        frontier = set(reached - found)
        found |= reached
    return frozenset(found), [links[k] for k in sorted(links)]


def _link(row: Any) -> Link:
    return Link(
        key=f"{row['pilot']}/control-link/{row['link_id']}",
        controlling=row["controlling_siren"],
        controlled=row["controlled_siren"],
        relation=row["relation"],
        starts_on=date.fromisoformat(row["starts_on"]),
        ends_on=_day(row["ends_on"]),
        source=row["source"],
    )


async def load_ledger(conn: AsyncConnection, sirens: Iterable[str]) -> Ledger:
    members, links = await linked_sirens(conn, sirens)
    declared, month = await _declared(conn, members)
    entries = [
        *await _decisions(conn, members),
        *await _cofunders(conn, members),
        *await _outside(conn, members),
    ]
    return Ledger(tuple(links), tuple(entries), month, tuple(declared))


async def _decisions(conn: AsyncConnection, members: frozenset[str]) -> list[Entry]:
    d = plan.decision
    query = select(d).where(
        d.c.beneficiary_siren.in_(members),
        d.c.state_aid_basis.in_(DE_MINIMIS),
        d.c.outcome != "refused",
        d.c.cancelled_on.is_(None),
    )
    return [
        aid_entry(
            f"{r['project_id']}:{r['pilot']}/decision/{r['decision_id']}",
            r["event_id"],
            date.fromisoformat(r["legal_right_on"]),
            r["state_aid_basis"],
            r["gross_grant_equivalent"],
            r["beneficiary_siren"],
            origin="decision",
            granted_by=r["pilot"],
            project_id=r["project_id"],
            judged=r["rules_version"] >= LEDGER_RULES,
        )
        for r in (await conn.execute(query)).mappings()
        if r["legal_right_on"]
    ]


async def _cofunders(conn: AsyncConnection, members: frozenset[str]) -> list[Entry]:
    c = plan.cofunder
    query = select(c).where(
        c.c.beneficiary_siren.in_(members), c.c.state_aid_basis.in_(DE_MINIMIS), c.c.status == "granted"
    )
    return [
        aid_entry(
            f"{r['project_id']}:{r['pilot']}/cofunder/{r['cofunder_line_id']}",
            r["event_id"],
            date.fromisoformat(r["legal_right_on"]),
            r["state_aid_basis"],
            r["gross_grant_equivalent"],
            r["beneficiary_siren"],
            origin="cofunder",
            granted_by=r["kind"],
            project_id=r["project_id"],
            judged=r["rules_version"] >= LEDGER_RULES,
        )
        for r in (await conn.execute(query)).mappings()
        if r["legal_right_on"] and r["gross_grant_equivalent"] is not None
    ]


async def _outside(conn: AsyncConnection, members: frozenset[str]) -> list[Entry]:
    o = t.outside_aid
    query = select(o).where(o.c.recipient_siren.in_(members), o.c.withdrawn_on.is_(None))
    return [
        aid_entry(
            f"{r['pilot']}/outside-aid/{r['aid_id']}",
            r["event_id"],
            date.fromisoformat(r["legal_right_on"]),
            r["basis"],
            r["gross_grant_equivalent"],
            r["recipient_siren"],
            origin="outside",
            granted_by=r["grantor"],
            project_id=None,
        )
        for r in (await conn.execute(query)).mappings()
    ]


async def _declared(conn: AsyncConnection, members: frozenset[str]) -> tuple[list[Entry], int]:
    """The prior aid of each project's declaration in force, and the fiscal year end the latest
    declaration of the undertaking gives (December when none)."""
    p, d = plan.prior_aid, plan.declaration
    projects = select(p.c.project_id).where(p.c.recipient_siren.in_(members))
    declarations = select(d).where(or_(d.c.beneficiary_siren.in_(members), d.c.project_id.in_(projects)))
    in_force: dict[str, Any] = {}
    latest: Any = None
    for row in (await conn.execute(declarations)).mappings():
        order = (row["declared_on"], row["event_id"])
        current = in_force.get(row["project_id"])
        if current is None or order > (current["declared_on"], current["event_id"]):
            in_force[row["project_id"]] = row
        if row["beneficiary_siren"] in members and (
            latest is None or order > (latest["declared_on"], latest["event_id"])
        ):
            latest = row
    events = {row["event_id"] for row in in_force.values()}
    query = select(p).where(p.c.recipient_siren.in_(members), p.c.event_id.in_(events))
    entries = [
        aid_entry(
            f"{r['project_id']}:prior/{r['aid_ref']}",
            r["event_id"],
            date.fromisoformat(r["legal_right_on"]),
            r["basis"],
            r["gross_grant_equivalent"],
            r["recipient_siren"],
            origin="declared",
            granted_by=r["grantor"],
            project_id=r["project_id"],
            judged=False,  # the plan's rule judges the declaration it came with
        )
        for r in (await conn.execute(query)).mappings()
    ]
    return entries, latest["fiscal_year_end_month"] if latest is not None else 12
