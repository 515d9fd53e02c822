"""Open data: the pilot's subsidies of a year in the national SCDL "subventions" format.

    GET /opendata/subsidies?year=YYYY   the rows to publish and those withheld, with why (staff, operator)

The rows come from the views every pilot holds, so any pilot's copy gives the same file; `ess opendata
subsidies --pilot P --year Y` writes it as CSV.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ess_contracts.reference.labels import PILOT_NAMES
from ess_core.auth import Principal, require_service_pilot
from ess_core.refusals import Conflict
from ess_core.service.runtime import ServiceRuntime
from ess_funding.adapters.opendata import subsidies
from ess_funding.config import FundingConfig
from ess_funding.domain.scdl import COLUMNS, SCDL_VERSION, Grantor
from ess_funding.entrypoints.http import READERS


def opendata_router(runtime: ServiceRuntime) -> APIRouter:
    pilot = runtime.settings.pilot
    config = FundingConfig.from_env()
    router = APIRouter(tags=["open data"])
    reader = require_service_pilot(pilot, *READERS)

    @router.get("/opendata/subsidies")
    async def subsidies_of_year(
        year: Annotated[int, Query(ge=2000, le=2100)], _: Annotated[Principal, Depends(reader)]
    ) -> dict[str, Any]:
        if config.grantor_siret is None:
            raise Conflict(
                "ESS_FUNDING_GRANTOR_SIRET is not set: open data names the grantor by its SIRET",
                setting="ESS_FUNDING_GRANTOR_SIRET",
            )
        grantor = Grantor(name=config.grantor_name or PILOT_NAMES[pilot], siret=config.grantor_siret)
        async with runtime.engine.connect() as conn:
            rows, withheld = await subsidies(conn, pilot, grantor, year)
        return {
            "format": "scdl-subventions",
            "version": SCDL_VERSION,
            "grantor": asdict(grantor),
            "year": year,
            "columns": list(COLUMNS),
            "rows": rows,
            "withheld": [asdict(w) for w in withheld],
        }

    return router
