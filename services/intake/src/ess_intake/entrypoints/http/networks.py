"""The directory of support networks."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ess_core.auth import Principal
from ess_intake.adapters import networks as directory
from ess_intake.domain.commands import RegisterNetwork, UpdateNetwork
from ess_intake.domain.errors import NotFound
from ess_intake.domain.requests import NetworkUpdateInput, NewNetworkInput
from ess_intake.entrypoints.http.deps import TOKEN, NetworkId, actor, who
from ess_intake.entrypoints.http.errors import REFUSALS, SMALL_BODY, IntakeRoute
from ess_intake.service_layer import networks, oriented
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.read_models import NetworkEntry, OrientedProject
from ess_intake.service_layer.results import NetworkSaved

READERS = ("instructor", "decider", "admin", "network", "operator")
ORIENTATION_READERS = ("instructor", "decider", "admin", "network")


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


def orientations_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(
        tags=["networks"], route_class=IntakeRoute, max_body_size=SMALL_BODY, responses=REFUSALS
    )

    @router.get("/orientations", response_model=list[OrientedProject])
    async def oriented_projects(
        principal: Annotated[Principal, who(pilot, *ORIENTATION_READERS)],
        network_id: Annotated[str | None, Query(pattern=TOKEN, description="one network's only")] = None,
    ) -> list[OrientedProject]:
        """The projects oriented to the caller's networks, newest first, with each answer: a network's
        token reads the networks whose entry names it as account (403 for another's); staff read every
        network's, or one's."""
        return await oriented.oriented_projects(actor(principal), network_id, intake)

    return router
