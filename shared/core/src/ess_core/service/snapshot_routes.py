"""`GET /snapshots`, `GET /snapshots/{position}` and `POST /snapshots` in every service: the snapshots this
service keeps of its views and bookkeeping at agreed stream positions (ess_core.snapshots). An operator of
another pilot may list and download them: that is how a new or restored service of that pilot starts from
one instead of replaying the whole stream, after checking its digests against those other pilots signed.
Only this pilot's operators and admins may ask for a new one."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel

from ess_core.auth import Principal, require_service_pilot
from ess_core.refusals import NotFound
from ess_core.service.runtime import ServiceRuntime
from ess_core.snapshots.store import SnapshotInfo, SnapshotStore

Reader = Annotated[Principal, Depends(require_service_pilot(None, "operator", "admin"))]
OwnOperator = Annotated[
    Principal, Depends(require_service_pilot(None, "operator", "admin", cross_pilot_read_roles=()))
]
Position = Annotated[int, PathParam(ge=0, description="the stream sequence the snapshot stands at")]
GZIP = "application/gzip"
NONE_KEPT: dict[int | str, dict[str, Any]] = {
    404: {"description": "this service keeps no snapshots (ESS_SNAPSHOT_DIR is not set)"}
}


class SnapshotRequested(BaseModel):
    requested: bool
    """True: a snapshot will be written at the next agreed position (GET /snapshots lists it then)."""


def snapshot_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/snapshots", responses=NONE_KEPT)
    async def snapshots(_: Reader) -> list[SnapshotInfo]:
        """The snapshots this service keeps, newest first: position, size, SHA-256, when written."""
        store = _store(runtime)
        return await asyncio.to_thread(_infos, store)

    @router.get(
        "/snapshots/{position}",
        response_class=FileResponse,
        responses={
            200: {"content": {GZIP: {}}, "description": "the snapshot file (ess-snapshot/1)"},
            404: {"description": "no snapshot at that position, or this service keeps none"},
        },
    )
    async def snapshot_file(position: Position, _: Reader) -> FileResponse:
        """The snapshot at stream sequence `position`, gzip of newline-delimited JSON (ess-snapshot/1);
        `X-Snapshot-Sha256` is the file's SHA-256, to check the download against."""
        store = _store(runtime)
        try:
            info = await asyncio.to_thread(store.info, position)
        except FileNotFoundError:
            raise NotFound(
                f"no snapshot at stream sequence {position} here; GET /snapshots lists those kept"
            ) from None
        path = store.path(position)
        headers = {"X-Snapshot-Sha256": info.sha256}
        return FileResponse(path, media_type=GZIP, filename=path.name, headers=headers)

    @router.post("/snapshots", status_code=202, responses=NONE_KEPT)
    async def request_snapshot(_: OwnOperator) -> SnapshotRequested:
        """Write a snapshot at the next agreed position, whatever the schedule; answers at once."""
        _store(runtime)
        runtime.request_snapshot()
        return SnapshotRequested(requested=True)

    return router


def _store(runtime: ServiceRuntime) -> SnapshotStore:
    if runtime.snapshots is None:
        raise NotFound("this service keeps no snapshots: its ESS_SNAPSHOT_DIR is not set")
    return runtime.snapshots


def _infos(store: SnapshotStore) -> list[SnapshotInfo]:
    found = []
    for position in reversed(store.positions()):
        try:
            found.append(store.info(position))
        except FileNotFoundError:  # pruned between the listing and its reading
            continue
    return found
