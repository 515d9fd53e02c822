"""The holder's pages: submit a project (a signed-in holder, or a network for one: intake's submitting
roles), then, through the private link and without an account, follow it, answer a correction, withdraw
it. Files come as a normal multipart upload; intake receives them in base64 inside its JSON."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

import secrets
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ess_console import dossier
from ess_console.backend import InvalidInput, ServiceRefused
from ess_console.dossier_labels import ANSWER_ERRORS, DUPLICATE, KEY_USED
from ess_console.kit import FormExpired, Kit
from ess_console.session import Session, dump, load, new_session

SUBMITTERS = frozenset({"holder", "network", "admin"})  # intake's POST /projects
FOLLOW_COOKIE = "ess_console_suivi"
"""The follow pages' own session (CSRF only, no person), kept apart from a signed-in person's."""
ProjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
LinkToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{43}$")]
UNKNOWN_LINK = "Ce lien de suivi ne correspond à aucun projet : vérifiez l'adresse reçue lors du dépôt."


async def uploads_of(form: Any) -> list[dossier.Upload]:
    """The files chosen in the form's file inputs; an input left empty sends no file."""
    found = []
    for name in dossier.FILE_INPUTS:
        for part in form.getlist(name):
            if getattr(part, "filename", None):  # a file part (a text part has no file name)
                content = await part.read()
                media_type = dossier.media_type(part.content_type, part.filename)
                found.append(dossier.Upload(name, part.filename, media_type, content))
    return found


def add_pages(app: FastAPI, kit: Kit) -> None:
    submission_pages(app, kit)
    follow_pages(app, kit)


def submission_pages(app: FastAPI, kit: Kit) -> None:
    @app.get("/deposer", response_class=HTMLResponse)
    async def submission_form(request: Request) -> Response:
        session, _ = kit.person_of(request, SUBMITTERS)
        return kit.page(
            request, "deposer.html", session, sent={}, errors={}, key=secrets.token_urlsafe(16),
            rows=dossier.ROWS, files_again=False,
        )  # fmt: skip

    @app.post("/deposer", response_class=HTMLResponse)
    async def submit(request: Request) -> Response:
        """Submit to intake with the person's token; a retry of the same form (its key) gets the same
        project, never a second one."""
        session, backend = kit.person_of(request, SUBMITTERS)
        form = await request.form()
        kit.posted_by(request, form.get("csrf"))
        key = str(form.get("cle") or secrets.token_urlsafe(16))
        uploads = await uploads_of(form)
        reading = dossier.read_dossier(form, uploads)
        try:
            answer = await backend.post("intake", "/projects", reading.body, {"Idempotency-Key": key})
        except InvalidInput as invalid:
            errors, status = reading.errors(invalid.fields), 422
            if "Idempotency-Key" in invalid.fields.get("body", ""):  # back after a submission, then changed
                errors, key = {"dossier": KEY_USED}, secrets.token_urlsafe(16)
        except ServiceRefused as refused:
            if refused.status != 409 or "existing_project_id" not in refused.detail:
                raise
            errors, status = {"project-title": DUPLICATE.format(refused.detail["existing_project_id"])}, 409
        else:
            link = str(answer["follow_link"]).replace("/follow/", "/suivi/", 1)
            address = str(request.base_url).rstrip("/") + link
            return kit.page(request, "depose.html", session, 201, answer=answer, link=link, address=address)
        sent = dossier.shown(form)
        return kit.page(
            request, "deposer.html", session, status, sent=sent, errors=errors, key=key,
            rows=dossier.rows_of(sent), files_again=bool(uploads),
        )  # fmt: skip


def follow_session(request: Request, kit: Kit) -> Session:
    return load(request.cookies.get(FOLLOW_COOKIE), kit.settings.cookie_key) or new_session("")


def follow_posted(request: Request, kit: Kit, csrf: object) -> None:
    session = load(request.cookies.get(FOLLOW_COOKIE), kit.settings.cookie_key)
    if session is None or csrf != session.csrf:
        raise FormExpired


def follow_pages(app: FastAPI, kit: Kit) -> None:
    async def shown(
        request: Request, project_id: str, token: str, status: int = 200, **context: Any
    ) -> Response:
        """The follow page: status, history, what is asked; a correction form filled from the file."""
        base, backend = f"/follow/{project_id}/{token}", kit.open_backend()
        try:
            follow = await backend.get(base, service="intake")
        except ServiceRefused as gone:
            if gone.status != 410:
                raise
            return kit.page(request, "erreur.html", None, 410, message=gone.reason)  # intake's French
        if follow is None:
            return kit.page(request, "erreur.html", None, 404, message=UNKNOWN_LINK)
        history = await backend.get(f"{base}/history", service="intake") or []
        pending = follow["pending_request"] and follow["status"] == "correction_requested"
        file = await backend.get(f"{base}/dossier", service="intake") if pending else None
        sent = context.pop("sent", None) or (dossier.prefill(file) if file else {})
        session, person = follow_session(request, kit), kit.signed_in(request)
        values = {"errors": {}, "done": request.query_params.get("fait"), "files_again": False} | context
        answer = kit.page(
            request, "suivi.html", person[0] if person else None, status,
            follow=follow, history=history, file=file, sent=sent, rows=dossier.rows_of(sent),
            path=f"/suivi/{project_id}/{token}", csrf=session.csrf, **values,
        )  # fmt: skip
        answer.set_cookie(
            FOLLOW_COOKIE, dump(session, kit.settings.cookie_key), path="/suivi", httponly=True,
            samesite="strict",
        )  # fmt: skip
        return answer

    @app.get("/suivi/{project_id}/{token}", response_class=HTMLResponse)
    async def follow(request: Request, project_id: ProjectId, token: LinkToken) -> Response:
        return await shown(request, project_id, token)

    @app.post("/suivi/{project_id}/{token}/correction", response_class=HTMLResponse)
    async def correct(request: Request, project_id: ProjectId, token: LinkToken) -> Response:
        """The full corrected dossier, through the link: new files added, the ticked ones removed."""
        form = await request.form()
        follow_posted(request, kit, form.get("csrf"))
        uploads = await uploads_of(form)
        reading = dossier.read_dossier(form, uploads, correction=True)
        try:
            await kit.open_backend().put(f"/follow/{project_id}/{token}/dossier", reading.body, "intake")
        except InvalidInput as invalid:
            return await shown(
                request, project_id, token, 422, errors=reading.errors(invalid.fields),
                sent=dossier.shown(form), files_again=bool(uploads),
            )  # fmt: skip
        return RedirectResponse(f"/suivi/{project_id}/{token}?fait=correction", status_code=303)

    @app.post("/suivi/{project_id}/{token}/retrait", response_class=HTMLResponse)
    async def withdraw(request: Request, project_id: ProjectId, token: LinkToken) -> Response:
        """Withdraw the project, its reason chosen and the withdrawal confirmed."""
        form = await request.form()
        follow_posted(request, kit, form.get("csrf"))
        reason, confirmed = str(form.get("withdrawal-reason") or ""), form.get("withdrawal-confirm") == "oui"
        errors = {} if reason else {"withdrawal-reason": ANSWER_ERRORS["withdrawal"]}
        if not confirmed:
            errors["withdrawal-confirm"] = ANSWER_ERRORS["confirm"]
        if not errors:
            try:
                body = {"reason": reason}
                await kit.open_backend().post("intake", f"/follow/{project_id}/{token}/withdrawal", body)
            except InvalidInput:
                errors = {"withdrawal-reason": ANSWER_ERRORS["withdrawal"]}
        if errors:
            return await shown(request, project_id, token, 422, errors=errors, chosen=reason)
        return RedirectResponse(f"/suivi/{project_id}/{token}?fait=retrait", status_code=303)
