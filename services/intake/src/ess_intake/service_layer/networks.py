"""The directory of support networks: registered and updated through the API, travelling as events."""

from __future__ import annotations

from ess_contracts import intake as events
from ess_contracts.event import new_event_id
from ess_intake.adapters import networks
from ess_intake.domain.commands import RegisterNetwork, UpdateNetwork
from ess_intake.domain.errors import Conflict, NotFound
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.results import NetworkSaved


async def register(cmd: RegisterNetwork, intake: Intake) -> NetworkSaved:
    entry, today = cmd.network, intake.today()
    network_id = entry.network_id or new_event_id()
    async with intake.act() as conn:
        if await networks.exists(conn, network_id):
            raise Conflict(f"network {network_id} is already in the directory; update it instead")
        await networks.insert_network(conn, network_id, entry, today.isoformat())
        payload = events.NetworkRegistered(
            registered_on=today,
            name=entry.name,
            siret=entry.siret,
            stages=entry.stages,
            needs=entry.needs,
            departments=entry.departments,
        )
        await intake.record(conn, network_id, [payload])
    return NetworkSaved(network_id=network_id, active=True)


async def update(cmd: UpdateNetwork, intake: Intake) -> NetworkSaved:
    entry, today = cmd.network, intake.today()
    async with intake.act() as conn:
        if not await networks.exists(conn, cmd.network_id):
            raise NotFound(f"no network {cmd.network_id}")
        await networks.update_network(conn, cmd.network_id, entry, entry.active, today.isoformat())
        payload = events.NetworkUpdated(
            updated_on=today,
            name=entry.name,
            siret=entry.siret,
            stages=entry.stages,
            needs=entry.needs,
            departments=entry.departments,
            active=entry.active,
        )
        await intake.record(conn, cmd.network_id, [payload])
    return NetworkSaved(network_id=cmd.network_id, active=entry.active)
