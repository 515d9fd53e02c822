"""Projects in the shared project view, filtered, sorted and a page at a time: what staff look through
(`GET /projects` in every service; the console's list). Titles stay sealed here: whoever serves them
opens them for their reader and logs the read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_core.service.project_query import ProjectQuery
from ess_views.project import decision, project


def conditions(where: ProjectQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for name in ("department", "stage", "status"):
        if getattr(where, name) is not None:
            found.append(project.c[name] == getattr(where, name))
    if where.objective is not None:  # a comma-separated list: O1 must not match O10
        found.append((literal(",") + project.c.objectives + ",").contains(f",{where.objective},"))
    if where.funder is not None:
        funded = (decision.c.project_id == project.c.project_id) & (decision.c.pilot == where.funder)
        found.append(exists().where(funded))
    if where.submitted_from is not None:
        found.append(project.c.submitted_on >= where.submitted_from.isoformat())
    if where.submitted_to is not None:
        found.append(project.c.submitted_on <= where.submitted_to.isoformat())
    return found


async def find_projects(
    conn: AsyncConnection, where: ProjectQuery, offset: int = 0, limit: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """How many match, and the matching rows from `offset` (titles sealed), each with the pilots that
    decided on it."""
    found = conditions(where)
    total = int(await conn.scalar(select(func.count()).select_from(project).where(*found)) or 0)
    key = project.c[where.sort]
    order = [key.desc() if where.descending else key.asc(), project.c.project_id]
    query = select(project).where(*found).order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    ids = [r["project_id"] for r in rows]
    funders: dict[str, set[str]] = {}
    if ids:
        deciders = select(decision.c.project_id, decision.c.pilot).where(decision.c.project_id.in_(ids))
        for project_id, pilot in await conn.execute(deciders):
            funders.setdefault(project_id, set()).add(pilot)
    for row in rows:
        row["funders"] = sorted(funders.get(row["project_id"], ()))
    return total, rows
