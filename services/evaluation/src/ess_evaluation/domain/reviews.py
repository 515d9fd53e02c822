"""Follow-up reviews of funded projects: due 12, 24 and 36 months after the project's first commitment.

The view stores due dates only. Whether a review is done, overdue or upcoming is a question asked as of
a day, never a state that changes with the clock: done when a review of that milestone (by any pilot) was
held on or before the day; overdue when not done and due before the day; upcoming otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ess_contracts.sealing import Sealed
from ess_evaluation.domain.calendar import add_months

MILESTONES: tuple[int, ...] = (12, 24, 36)

ReviewState = Literal["done", "overdue", "upcoming"]


@dataclass(frozen=True)
class Due:
    project_id: str
    milestone_months: int
    first_committed_on: date
    due_on: date


@dataclass(frozen=True)
class Review:
    project_id: str
    milestone_months: int
    pilot: str
    reviewed_on: date
    still_operating: bool
    jobs_created: int
    jobs_kept: int
    remark: Sealed | None = None  # opened only for staff who read it (entrypoints)


@dataclass(frozen=True)
class ReviewStatus:
    due: Due
    state: ReviewState
    review: Review | None  # the first review of the milestone held on or before the day


def schedule(project_id: str, first_committed_on: date | None) -> list[Due]:
    """The due dates of a project funded from `first_committed_on`; none when it is not funded."""
    if first_committed_on is None:
        return []
    return [Due(project_id, m, first_committed_on, add_months(first_committed_on, m)) for m in MILESTONES]


def status_as_of(dues: Iterable[Due], reviews: Iterable[Review], day: date) -> list[ReviewStatus]:
    held: dict[tuple[str, int], Review] = {}
    for r in sorted(reviews, key=lambda r: (r.reviewed_on, r.pilot)):
        if r.reviewed_on <= day:
            held.setdefault((r.project_id, r.milestone_months), r)
    result = []
    for due in sorted(dues, key=lambda d: (d.due_on, d.project_id, d.milestone_months)):
        review = held.get((due.project_id, due.milestone_months))
        state: ReviewState = "done" if review else "overdue" if due.due_on < day else "upcoming"
        result.append(ReviewStatus(due, state, review))
    return result


def overdue_as_of(dues: Iterable[Due], reviews: Iterable[Review], day: date) -> list[Due]:
    return [s.due for s in status_as_of(dues, reviews, day) if s.state == "overdue"]
