"""Staff choose their notices (`GET`/`PUT /notices/preferences`: their own address, and per kind each
e-mail, a daily digest, or none), and anyone holding an unsubscribe link stops one kind of notice
(`GET` shows a page in French, `POST` is RFC 8058's one-click unsubscribe)."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes made in closures.

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ess_core.auth import Principal, require_service_pilot
from ess_core.notify.subscriptions import Mode, choices, choose
from ess_core.service.runtime import ServiceRuntime

STAFF = ("instructor", "decider", "operator", "admin")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Choice(BaseModel):
    kind: str
    label: str
    mode: Mode


class Preferences(BaseModel):
    email: str | None
    choices: list[Choice]


class PreferencesUpdate(BaseModel):
    email: Annotated[str, Field(pattern=EMAIL, max_length=254, description="where this person's notices go")]
    choices: dict[str, Mode] = Field(
        description="kind -> each | daily | off; kinds left out keep their choice"
    )


Subscriber = Annotated[str, Query(max_length=200, description="the person (their token's subject)")]
Kind = Annotated[str, Query(max_length=40, description="the kind of notice")]
Token = Annotated[str, Query(max_length=64, description="the link's signature")]

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""


def notices_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["notices"])
    staff = Annotated[Principal, Depends(require_service_pilot(None, *STAFF))]

    async def read(subscriber: str) -> Preferences:
        async with runtime.engine.connect() as conn:
            chosen = await choices(conn, subscriber)
        emails = {email for email, _ in chosen.values()}
        items = [
            Choice(kind=kind, label=label, mode=chosen[kind][1] if kind in chosen else "off")
            for kind, label in runtime.notice_kinds.items()
        ]
        return Preferences(email=next(iter(emails)) if len(emails) == 1 else None, choices=items)

    @router.get("/notices/preferences")
    async def preferences(principal: staff) -> Preferences:
        """The notices this person may choose here, and how they chose each (`off` until they do)."""
        return await read(principal.subject)

    @router.put("/notices/preferences")
    async def update_preferences(body: PreferencesUpdate, principal: staff) -> Preferences:
        """Their address, and per kind: `each` (one e-mail per event), `daily` (one digest a day), `off`."""
        unknown = sorted(set(body.choices) - set(runtime.notice_kinds))
        if unknown:
            known = ", ".join(runtime.notice_kinds) or "none here"
            field = {
                "field": f"body.choices.{unknown[0]}",
                "msg": f"no such notice in this service ({known})",
            }
            raise HTTPException(422, [field])
        async with runtime.transaction() as conn:
            kept = {kind: mode for kind, (_, mode) in (await choices(conn, principal.subject)).items()}
            modes: dict[str, Mode] = {
                kind: body.choices.get(kind, kept.get(kind, "off")) for kind in runtime.notice_kinds
            }
            await choose(conn, principal.subject, body.email, modes)
        return await read(principal.subject)

    def checked(s: str, k: str, t: str) -> None:
        if k not in runtime.notice_kinds or not runtime.unsubscribing.valid(s, k, t):
            raise HTTPException(
                404, {"error": "not_found", "reason": "Ce lien de désinscription n'est pas valide."}
            )

    @router.get("/notices/unsubscribe", response_class=HTMLResponse)
    async def unsubscribe_page(s: Subscriber, k: Kind, t: Token) -> HTMLResponse:
        """The page an unsubscribe link opens: it asks to confirm (a link followed by a mail scanner
        unsubscribes nobody)."""
        checked(s, k, t)
        label = runtime.notice_kinds[k]
        form = f'<form method="post"><button type="submit">Ne plus recevoir « {label} »</button></form>'
        text = f"Vous ne recevrez plus les avis « {label} » à cette adresse après confirmation."
        return HTMLResponse(PAGE.format(title="Se désinscrire", text=text, form=form))

    @router.post("/notices/unsubscribe", response_class=HTMLResponse)
    async def unsubscribe(s: Subscriber, k: Kind, t: Token) -> HTMLResponse:
        """One-click unsubscribe (RFC 8058): this kind of notice is off for this person."""
        checked(s, k, t)
        async with runtime.transaction() as conn:
            email = (await choices(conn, s)).get(k, ("", "off"))[0]
            if email:
                await choose(conn, s, email, {k: "off"})
        text = f"C'est fait : vous ne recevrez plus les avis « {runtime.notice_kinds[k]} »."
        return HTMLResponse(PAGE.format(title="Désinscription enregistrée", text=text, form=""))

    return router
