"""What staff ask of the shared project view when they look through projects (`GET /projects`): the
filters, the order, and a page. The views answer it (`ess_views.project_list`); the core serves it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

SortKey = Literal["submitted_on", "department", "status", "project_id"]


@dataclass(frozen=True)
class ProjectQuery:
    department: str | None = None
    objective: str | None = None
    stage: str | None = None
    status: str | None = None
    funder: str | None = None
    """A pilot with a decision on the project."""
    submitted_from: date | None = None
    submitted_to: date | None = None
    sort: SortKey = "submitted_on"
    descending: bool = True


ProjectFinder = Callable[
    [AsyncConnection, ProjectQuery, int, int | None], Awaitable[tuple[int, list[dict[str, Any]]]]
]
"""(total matching, the rows from `offset`, at most `limit`: None for all), titles still sealed."""
