"""The directory of support networks."""

from typing import Annotated, Any

from fastapi import APIRouter

from ess_core.auth import Principal
from ess_intake.adapters import networks as directory
from ess_intake.domain.commands import RegisterNetwork, UpdateNetwork
from ess_intake.domain.errors import NotFound
from ess_intake.domain.requests import NetworkUpdateInput, NewNetworkInput
from ess_intake.entrypoints.http.deps import NetworkId, actor, who
from ess_intake.entrypoints.http.errors import REFUSALS, SMALL_BODY, IntakeRoute
from ess_intake.service_layer import networks
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import NetworkEntry
from ess_intake.service_layer.results import NetworkSaved

READERS = ("instructor", "decider", "admin", "network", "operator")


def networks_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(
        prefix="/networks",
        tags=["networks"],
        route_class=IntakeRoute,
        max_body_size=SMALL_BODY,
        responses=REFUSALS,
    )

    @router.post("", status_code=201, response_model=NetworkSaved)
    async def register(
        body: NewNetworkInput, principal: Annotated[Principal, who(pilot, "admin")]
    ) -> NetworkSaved:
        """Add a network to the directory (event network_registered)."""
        return await networks.register(RegisterNetwork(body, actor(principal)), intake)

    @router.put("/{network_id}", response_model=NetworkSaved)
    async def update(
        network_id: NetworkId, body: NetworkUpdateInput, principal: Annotated[Principal, who(pilot, "admin")]
    ) -> NetworkSaved:
        """Replace a network's entry (event network_updated); `active` false stops orienting to it."""
        return await networks.update(UpdateNetwork(network_id, body, actor(principal)), intake)

    @router.get("", response_model=list[NetworkEntry])
    async def list_networks(_: Annotated[Principal, who(pilot, *READERS, personal=False)]) -> list[Any]:
        """The directory: every network, active or not."""
        async with intake.runtime.engine.connect() as conn:
            return await directory.read_all(conn)

    @router.get("/{network_id}", response_model=NetworkEntry)
    async def read_network(
        network_id: NetworkId, _: Annotated[Principal, who(pilot, *READERS, personal=False)]
    ) -> Any:
        """One network's entry."""
        async with intake.runtime.engine.connect() as conn:
            found = await directory.read_all(conn, network_id)
        if not found:
            raise NotFound(f"no network {network_id}")
        return found[0]

    return router
