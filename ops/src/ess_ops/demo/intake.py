"""The demo at region's intake: the network directory, the projects (each with an idempotency key, so
a second run gets the same project back), and the demo network person's answers to orientations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ess_ops.demo import bodies
from ess_ops.demo.client import Api, bounded
from ess_ops.demo.model import Project
from ess_ops.demo.networks import FRANCE_ACTIVE, NETWORKS
from ess_ops.demo.projects import PROJECTS

INTAKE = ("region", "intake")
ACCEPTED = 5  # France Active accepts this many of the projects oriented to it, declines one, leaves the rest


@dataclass(frozen=True)
class Submitted:
    project: Project
    project_id: str
    new: bool
    eligible: bool
    oriented_to: tuple[str, ...]


async def networks(api: Api) -> int:
    """Registers the networks the directory lacks; returns how many it registered."""
    known = {n["network_id"] for n in await api.get(INTAKE, "/networks", "admin")}
    missing = [n for n in NETWORKS if n.network_id not in known]
    for n in missing:
        await api.post(INTAKE, "/networks", "admin", bodies.network(n))
    return len(missing)


async def submit(api: Api, project: Project, today: date) -> Submitted:
    """The holder submits (or the network person for one); the same key again replays the first answer."""
    person = "network" if project.by_network else "holder"
    headers = {"Idempotency-Key": f"demo-{project.key}"}
    response = await api.call(
        "POST", INTAKE, "/projects", person, json=bodies.submission(project, today), headers=headers
    )
    answer = response.json()
    return Submitted(
        project,
        answer["project_id"],
        response.headers.get("Idempotent-Replayed") != "true",
        answer["eligible"],
        tuple(answer["oriented_to"]),
    )


async def projects(api: Api, today: date) -> list[Submitted]:
    return await bounded(4, [submit(api, p, today) for p in PROJECTS])


async def answer_orientations(api: Api, submitted: list[Submitted]) -> tuple[int, int]:
    """The network person answers for France Active; an answer given before is a 409, left as it was."""
    oriented = [s for s in submitted if FRANCE_ACTIVE in s.oriented_to]
    accepted = declined = 0
    for s in oriented[:ACCEPTED]:
        path = f"/projects/{s.project_id}/orientations/{FRANCE_ACTIVE}/acceptance"
        done = await api.call("POST", INTAKE, path, "network", expect=(200, 201, 409))
        accepted += done.status_code != 409
    for s in oriented[ACCEPTED : ACCEPTED + 1]:
        path = f"/projects/{s.project_id}/orientations/{FRANCE_ACTIVE}/decline"
        done = await api.call(
            "POST", INTAKE, path, "network", json={"reason": "no_capacity"}, expect=(200, 201, 409)
        )
        declined += done.status_code != 409
    return accepted, declined
