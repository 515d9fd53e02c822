"""Reading a pilot's grants of a year from the views every pilot holds, for the SCDL open data file: a
handful of set queries whatever the number of decisions, never one query per project."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_funding.domain.scdl import Award, Grantor, Holder, Row, Withheld, subsidy_row
from ess_views.funding_plan import tables as t
from ess_views.project import project

GRANTED = ("granted", "conditional")


async def subsidies(
    conn: AsyncConnection, pilot: str, grantor: Grantor, year: int
) -> tuple[list[Row], list[Withheld]]:
    """The pilot's grants whose convention is dated in `year`: published rows, and those withheld."""
    decided = await _rows(conn, select(t.decision).where(t.decision.c.outcome.in_(GRANTED)))
    awards = [a for a in await _awards(conn, pilot, decided) if a.convention_on.year == year]
    cancelled = {(r["project_id"], r["decision_id"]): r["cancelled_on"] for r in decided if r["cancelled_on"]}
    projects = sorted({a.project_id for a in awards})
    holders = await _holders(conn, projects)
    shares = _shares(r for r in decided if not r["cancelled_on"])
    rows: list[Row] = []
    withheld: list[Withheld] = []
    for award in sorted(awards, key=lambda a: (a.convention_on, a.project_id, a.decision_id)):
        when = cancelled.get((award.project_id, award.decision_id))
        if when:
            withheld.append(Withheld(award.project_id, award.decision_id, f"décision annulée le {when}"))
            continue
        row = subsidy_row(grantor, holders[award.project_id], award, shares[award.project_id])
        if isinstance(row, Withheld):
            withheld.append(row)
        else:
            rows.append(row)
    return rows, withheld


async def _rows(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def _awards(conn: AsyncConnection, pilot: str, decided: list[dict[str, Any]]) -> list[Award]:
    own = [r for r in decided if r["pilot"] == pilot and r["instrument"] == "grant"]  # subsidies only
    commitments = await _rows(conn, select(t.commitment).where(t.commitment.c.pilot == pilot))
    decision_of = {(c["project_id"], c["commitment_id"]): c["decision_id"] for c in commitments}
    by_decision: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for c in commitments:
        by_decision[(c["project_id"], c["decision_id"])]["commitments"].append(
            (_day(c["committed_on"]), c["reference"])
        )
    for table, column, key in ((t.tranche, "due_on", "tranches"), (t.disbursement, "paid_on", "paid")):
        for r in await _rows(conn, select(table).where(table.c.pilot == pilot)):
            decision_id = decision_of.get((r["project_id"], r["commitment_id"]))
            if decision_id is not None:
                by_decision[(r["project_id"], decision_id)][key].append(_day(r[column]))
    awards = []
    for r in own:
        after = by_decision[(r["project_id"], r["decision_id"])]
        awards.append(
            Award(
                project_id=r["project_id"],
                decision_id=r["decision_id"],
                decided_on=_day(r["decided_on"]),
                amount=r["nominal_amount"],
                state_aid_basis=r["state_aid_basis"],
                commitments=tuple(sorted(after["commitments"])),
                tranche_days=tuple(sorted(after["tranches"])),
                paid_days=tuple(sorted(after["paid"])),
            )
        )
    return awards


async def _holders(conn: AsyncConnection, project_ids: list[str]) -> dict[str, Holder]:
    holders: dict[str, Holder] = {}
    for start in range(0, len(project_ids), 500):  # bound the IN list on both backends
        chunk = project_ids[start : start + 500]
        for r in await _rows(conn, select(project).where(project.c.project_id.in_(chunk))):
            holders[r["project_id"]] = Holder(
                legal_form=r["legal_form"],
                name=r["organisation_name"],
                siret=r["siret"],
                rna=r["rna"],
                stage=r["stage"],
                objectives=tuple(o for o in r["objectives"].split(",") if o),
            )
    for missing in set(project_ids) - set(holders):  # a funder's decision folded before intake's record
        holders[missing] = Holder(None, None, None, None, "", ())
    return holders


def _shares(decided: Any) -> dict[str, dict[str, int]]:
    """Per project, each funder's granted amount (every instrument): the plan's shares."""
    shares: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in decided:
        shares[r["project_id"]][r["pilot"]] += r["nominal_amount"]
    return shares


def _day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
