"""The network's page: the projects intake oriented to the person's network, each accepted or declined
with a reason. Staff reach it too (intake lets an instructor record a network's answer) and see every
network's."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ess_console.backend import Backend, InvalidInput, ServiceRefused
from ess_console.dossier_labels import ANSWER_ERRORS, DECLINE_REASONS
from ess_console.kit import Kit
from ess_console.session import Session

READERS = frozenset({"network", "instructor", "decider", "admin"})  # intake's GET /orientations
ANSWERING = frozenset({"network", "instructor", "admin"})  # its acceptance and decline routes
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ALREADY = "Ce projet a déjà reçu une réponse de ce réseau, ou il n'est plus ouvert."


def add_pages(app: FastAPI, kit: Kit) -> None:
    async def listing(
        request: Request, session: Session, backend: Backend, status: int = 200, **context: Any
    ) -> Response:
        oriented = await backend.get("/orientations", service="intake") or []
        done = {k: v for k in ("accepte", "decline") if (v := request.query_params.get(k))}
        values: dict[str, Any] = {"errors": {}, "chosen": {}, "done": done} | context
        return kit.page(request, "reseau.html", session, status, oriented=oriented, **values)

    @app.get("/reseau", response_class=HTMLResponse)
    async def oriented(request: Request) -> Response:
        session, backend = kit.person_of(request, READERS)
        return await listing(request, session, backend)

    @app.post("/reseau/{project_id}/{network_id}/acceptation", response_class=HTMLResponse)
    async def accept(request: Request, project_id: Id, network_id: Id) -> Response:
        session, backend = kit.person_of(request, ANSWERING)
        kit.posted_by(request, (await request.form()).get("csrf"))
        path = f"/projects/{project_id}/orientations/{network_id}/acceptance"
        try:
            await backend.post("intake", path, {})
        except ServiceRefused as refused:
            if refused.status != 409:
                raise
            errors = {f"accept-{project_id}-{network_id}": ALREADY}
            return await listing(request, session, backend, 409, errors=errors)
        return RedirectResponse(f"/reseau?accepte={project_id}", status_code=303)

    @app.post("/reseau/{project_id}/{network_id}/refus", response_class=HTMLResponse)
    async def decline(request: Request, project_id: Id, network_id: Id) -> Response:
        """Decline with one of the contract's reasons, named in French."""
        session, backend = kit.person_of(request, ANSWERING)
        form = await request.form()
        kit.posted_by(request, form.get("csrf"))
        reason, row = str(form.get("reason") or ""), f"{project_id}-{network_id}"
        error = None if reason in DECLINE_REASONS else ANSWER_ERRORS["reason"]
        if error is None:
            path = f"/projects/{project_id}/orientations/{network_id}/decline"
            try:
                await backend.post("intake", path, {"reason": reason})
            except InvalidInput:
                error = ANSWER_ERRORS["reason"]
            except ServiceRefused as refused:
                if refused.status != 409:
                    raise
                error = ALREADY
        if error is not None:
            status = 409 if error == ALREADY else 422
            errors, chosen = {f"reason-{row}": error}, {row: reason}
            return await listing(request, session, backend, status, errors=errors, chosen=chosen)
        return RedirectResponse(f"/reseau?decline={project_id}", status_code=303)
