"""`GET /projects` in every service: the shared project view a page at a time, with filters
(department, objective, stage, status, funder, submission dates, words of the title) and an order. The
titles served are opened for the pilot's own staff and each read is logged, as on the project's page;
searching the titles opens them to compare, and logs only those served."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import Sealed
from ess_contracts.types import Pilot
from ess_core.auth import Principal, require_service_pilot
from ess_core.service.project_query import ProjectFinder, ProjectQuery, SortKey
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.sealed_reads import STAFF, SealedReads

MAX_PER_PAGE = 200


class ProjectRow(BaseModel):
    project_id: str
    title: str | None
    department: str
    stage: str
    status: str
    objectives: list[str]
    submitted_on: date
    intake_pilot: str
    funders: list[str]
    """The pilots that decided on it."""


class ProjectPage(BaseModel):
    total: int
    page: int
    per_page: int
    projects: list[ProjectRow]


def folded(text: str) -> str:
    """Case and accents aside: « Épicerie » is found by « epicerie »."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def project_list_router(runtime: ServiceRuntime, find: ProjectFinder) -> APIRouter:
    router = APIRouter(tags=["project"])
    staff = require_service_pilot(None, *STAFF, cross_pilot_read_roles=())

    @router.get("/projects")
    async def project_list(
        reader: Annotated[Principal, Depends(staff)],
        department: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        objective: Annotated[str | None, Query(pattern=r"^O\d{1,2}$")] = None,
        stage: Annotated[str | None, Query(max_length=32)] = None,
        status: Annotated[str | None, Query(max_length=24)] = None,
        funder: Pilot | None = None,
        submitted_from: date | None = None,
        submitted_to: date | None = None,
        q: Annotated[
            str | None, Query(min_length=2, max_length=100, description="words of the title")
        ] = None,
        sort: SortKey = "submitted_on",
        order: Literal["asc", "desc"] = "desc",
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    ) -> ProjectPage:
        """Projects of the shared view that match every filter given, a page at a time, newest first by
        default; each title opened for the pilot's staff (a logged read), never for operators."""
        query = ProjectQuery(
            department, objective, stage, status, funder, submitted_from, submitted_to, sort, order == "desc"
        )
        offset = (page - 1) * per_page
        async with runtime.engine.connect() as conn:
            if q is None:
                total, rows = await find(conn, query, offset, per_page)
            else:
                _, candidates = await find(conn, query, 0, None)
        if q is not None:  # the titles are sealed: open them to compare, then take the page. Not inside
            # the read above: on SQLite a key read on another connection waits for that one's turn.
            rows = [r for r in candidates if folded(q) in folded(await _title(runtime, r) or "")]
            total, rows = len(rows), rows[offset : offset + per_page]
        texts = SealedReads(runtime, reader)
        found = [await _row(texts, row) for row in rows]
        await texts.log()
        return ProjectPage(total=total, page=page, per_page=per_page, projects=found)

    return router


async def _title(runtime: ServiceRuntime, row: dict[str, Any]) -> str | None:
    sealed = Sealed(key=row["title_key"], box=row["title_box"])
    return await runtime.keyring.open(sealed, row["project_id"], TITLE_FIELD)


async def _row(texts: SealedReads, row: dict[str, Any]) -> ProjectRow:
    sealed = Sealed(key=row["title_key"], box=row["title_box"])
    return ProjectRow(
        project_id=row["project_id"],
        title=await texts.open(sealed, row["project_id"], TITLE_FIELD),
        department=row["department"],
        stage=row["stage"],
        status=row["status"],
        objectives=[o for o in row["objectives"].split(",") if o],
        submitted_on=date.fromisoformat(row["submitted_on"]),
        intake_pilot=row["intake_pilot"],
        funders=row["funders"],
    )
