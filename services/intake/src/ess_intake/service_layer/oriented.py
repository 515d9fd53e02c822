"""What a network sees of the projects oriented to it: its own list, to accept or decline each."""

from __future__ import annotations

from ess_intake.adapters import networks, orientations
from ess_intake.domain.commands import Actor
from ess_intake.domain.errors import Forbidden
from ess_intake.domain.records import PublicRecord
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import OrientedProject
from ess_intake.service_layer.reading import READER_ROLES


async def oriented_projects(actor: Actor, network_id: str | None, intake: Intake) -> list[OrientedProject]:
    """Staff read every network's list (or one's); a network's token reads only the networks whose
    directory entry names its subject as account, and is refused another's."""
    async with intake.runtime.engine.connect() as conn:
        chosen = None if network_id is None else [network_id]
        if actor.roles.isdisjoint(READER_ROLES):
            mine = await networks.ids_for_account(conn, actor.subject)
            if network_id is not None and network_id not in mine:
                raise Forbidden(f"token subject {actor.subject!r} does not answer for network {network_id}")
            chosen = chosen or mine
        rows = await orientations.to_networks(conn, chosen)
    return [await _shown(row, intake) for row in rows]


async def _shown(row: dict[str, object], intake: Intake) -> OrientedProject:
    record = PublicRecord.model_validate_json(str(row["record"]))
    project_id = str(row["project_id"])
    return OrientedProject.model_validate(
        {
            **row,
            "title": await intake.open_title(record.project.title, project_id),
            "stage": record.project.stage,
            "needs": list(record.project.needs),
            "third_place": record.project.third_place,
        }
    )
