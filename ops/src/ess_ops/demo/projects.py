"""Every demo project, and the checks that keep the data what the demo means it to be."""

from __future__ import annotations

from ess_ops.demo.model import Project
from ess_ops.demo.projects_east import EAST
from ess_ops.demo.projects_west import WEST

PROJECTS: tuple[Project, ...] = WEST + EAST
SELF_FINANCING_SHARE = 10  # percent of the eligible total the holders bring themselves


def eligible_total(project: Project) -> int:
    return project.eligible_euros if project.eligible_euros is not None else project.total


def self_financing(project: Project) -> int:
    return eligible_total(project) * SELF_FINANCING_SHARE // 100


def committed(project: Project) -> int:
    return sum(g.euros for g in project.reached("committed") if g.outcome != "refused")


def over_funded(project: Project) -> bool:
    return committed(project) + self_financing(project) > eligible_total(project)


def special(kind: str) -> Project:
    return next(p for p in PROJECTS if p.special == kind)


def check() -> None:
    """Keys unique, one project of each special case, over-funding only where the demo means it."""
    keys = [p.key for p in PROJECTS]
    assert len(set(keys)) == len(keys), "demo project keys repeat"
    for kind in ("over_funding", "de_minimis"):
        assert sum(p.special == kind for p in PROJECTS) == 1, kind
    for p in PROJECTS:
        assert over_funded(p) == (p.special == "over_funding"), p.key
        assert len({g.pilot for g in p.grants}) == len(p.grants), f"{p.key}: one grant per pilot"
