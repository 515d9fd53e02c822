"""The state of each project's holder link: which generation is current, until when, whether revoked.
The link itself is never stored (service_layer/links.py): a database copy holds no usable link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import follow_link, project


@dataclass(frozen=True)
class LinkState:
    generation: int
    issued_on: date
    expires_on: date
    revoked_on: date | None = None


async def current(conn: AsyncConnection, project_id: str, ttl_days: int) -> LinkState | None:
    """The link's state; a project submitted before links expired has generation 0 from its submission."""
    row = (await conn.execute(select(follow_link).where(follow_link.c.project_id == project_id))).first()
    if row is not None:
        revoked = date.fromisoformat(row.revoked_on) if row.revoked_on else None
        return LinkState(
            row.generation, date.fromisoformat(row.issued_on), date.fromisoformat(row.expires_on), revoked
        )
    submitted = await conn.scalar(select(project.c.submitted_on).where(project.c.project_id == project_id))
    if submitted is None:
        return None
    issued = date.fromisoformat(submitted)
    return LinkState(0, issued, issued + timedelta(days=ttl_days))


def _values(state: LinkState) -> dict[str, object]:
    return {
        "generation": state.generation,
        "issued_on": state.issued_on.isoformat(),
        "expires_on": state.expires_on.isoformat(),
        "revoked_on": state.revoked_on.isoformat() if state.revoked_on else None,
    }


async def save(conn: AsyncConnection, project_id: str, state: LinkState) -> None:
    values = _values(state)
    changed = await conn.execute(
        update(follow_link).where(follow_link.c.project_id == project_id).values(**values)
    )
    if changed.rowcount == 0:
        await conn.execute(follow_link.insert().values(project_id=project_id, **values))


_INSERT = follow_link.insert()  # built once (see adapters/projects.py)


async def create(conn: AsyncConnection, project_id: str, state: LinkState) -> None:
    """A new project's first link: it has no row to update yet."""
    await conn.execute(_INSERT, {"project_id": project_id, **_values(state)})
