"""The console's pages. Every page but sign-in and the accessibility statement needs a signed-in person;
every form posts the session's CSRF token back; every call to a service carries that person's token, so
the services' own role checks decide what a page may show."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

import csv
import hmac
import io
from datetime import date
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ess_console import (
    acts,
    dossier_labels,
    holder,
    labels,
    network,
    operations,
    operations_labels,
    strategy,
)
from ess_console.backend import Backend, InvalidInput, ServiceRefused
from ess_console.kit import FormExpired, Kit, NotSignedIn, NotYourPage
from ess_console.oidc import EXPIRED, Provider, Refused, Verified, person_of, provider_error
from ess_console.people import AnyOf, LocalPeople, Person, SignedIn
from ess_console.session import COOKIE, Session, dump, load, new_session
from ess_console.settings import ConsoleSettings
from ess_console.strategy import STRATEGY_FIRST, STRATEGY_LAST

PER_PAGE = 25
FLOW_COOKIE = "ess_console_flow"
"""The state of a sign-in at the provider, binding its return to the browser that started it. SameSite=Lax:
the provider sends the browser back by a cross-site navigation, on which Strict cookies are not sent."""
RETURN_PATH = "/connexion/retour"
HOLDERS, NETWORKS = frozenset({"holder"}), frozenset({"network"})
OPERATORS = frozenset({"operator"})


def first_page(roles: frozenset[str]) -> str:
    """Where a person starts: a holder submits, a network answers, an operator watches the services,
    staff list the projects."""
    if roles and roles <= HOLDERS:
        return "/deposer"
    if roles and roles <= OPERATORS:
        return "/exploitation"
    return "/reseau" if roles and roles <= NETWORKS else "/projets"


FILTERS = ("department", "status", "stage", "objective", "funder", "q", "submitted_from", "submitted_to")
LIST_ORDER = ("sort", "order")


def cell(text: str | None) -> str:
    """A holder's text in a spreadsheet cell: one that starts like a formula is kept as text."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def submission_trace(
    signed: dict[str, Any] | None, settings: ConsoleSettings
) -> dict[str, str | None] | None:
    """The trace of the project's submission (`GET /projects/{id}/events`), when intake traced it: its id,
    and a link to the pilot's tracing backend when the console knows one (`ESS_CONSOLE_TRACE_URL`)."""
    for event in (signed or {}).get("events", []):
        if event["type"] == "project_submitted" and event.get("trace_id"):
            return {"id": event["trace_id"], "url": settings.trace_link(event["trace_id"])}
    return None


def build_console(settings: ConsoleSettings) -> FastAPI:
    app = FastAPI(title=f"ESS console ({settings.pilot})", docs_url=None, redoc_url=None, openapi_url=None)
    root = files("ess_console")
    app.mount("/static", StaticFiles(directory=str(root / "static")), name="static")
    templates = Jinja2Templates(directory=str(root / "templates"))
    templates.env.globals.update(
        labels=labels,
        words=dossier_labels,
        ops=operations_labels,
        pilot=settings.pilot,
        pilot_name=labels.PILOTS[settings.pilot],
    )
    templates.env.filters["named"] = lambda code, names: names.get(code, code)  # a code, in French
    local = LocalPeople(settings.people_dir, settings.pilot)
    provider = Provider(settings.oidc) if settings.oidc else None
    at_provider = SignedIn()
    people = AnyOf((local, at_provider))

    def who(session: Session | None) -> Person | None:
        """The person the session names, by either sign-in; None when nobody (any more)."""
        return people.find(session.person) if session and session.person else None

    def page(
        request: Request, name: str, session: Session | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        person = who(session)
        roles = person.roles if person else frozenset()
        values = {"request": request, "person": person.label if person else None, "roles": roles, **context}
        values.setdefault("csrf", session.csrf if session else "")
        answer = templates.TemplateResponse(request, name, values, status_code=status)
        answer.headers["Cache-Control"] = "no-store"  # pages show personal data
        return answer

    def signed_in(request: Request) -> tuple[Session, Backend] | None:
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        person = who(session)
        if session is None or person is None:
            return None
        urls = {"funding": settings.funding_url, "intake": settings.intake_url}
        return session, Backend(urls | {"evaluation": settings.evaluation_url}, person.token)

    def staff_of(request: Request) -> tuple[Session, Backend]:
        """The signed-in person's session and their way to the services; else off to sign in."""
        found = signed_in(request)
        if found is None:
            raise NotSignedIn
        return found

    def posted_by(request: Request, csrf: object) -> Session:
        """The session a form was posted in, checked against the token the form carried."""
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        if session is None or csrf != session.csrf:
            raise FormExpired
        return session

    @app.exception_handler(NotSignedIn)
    async def to_sign_in(request: Request, _: Exception) -> Response:
        return RedirectResponse("/connexion", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def no_such_page(request: Request, _: Exception) -> Response:
        """An address typed by hand (a truncated private link, an id with odd characters): no such page."""
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        return page(request, "erreur.html", session, 404, message=labels.REFUSALS[404])

    @app.exception_handler(NotYourPage)
    async def not_yours(request: Request, _: Exception) -> Response:
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        return page(request, "erreur.html", session, 403, message=labels.REFUSALS[403])

    @app.exception_handler(FormExpired)
    async def expired(request: Request, _: Exception) -> Response:
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        return page(
            request, "erreur.html", session, 403, message="Le formulaire a expiré : rechargez la page."
        )

    @app.exception_handler(ServiceRefused)
    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceRefused)
        session = load(request.cookies.get(COOKIE), settings.cookie_key)
        message = labels.REFUSALS.get(error.status, "Le service a refusé la demande.")
        return page(request, "erreur.html", session, error.status, message=message, detail=error.reason)

    @app.get("/status")
    async def status() -> dict[str, str]:
        return {"pilot": settings.pilot, "service": "console"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        person = who(load(request.cookies.get(COOKIE), settings.cookie_key))
        return RedirectResponse(first_page(person.roles) if person else "/connexion", status_code=303)

    def sign_in_form(
        request: Request, session: Session, status: int = 200, error: str | None = None,
        refusal: Refused | None = None,
    ) -> HTMLResponse:  # fmt: skip
        """The sign-in page: the provider's button when there is one, the local people when there are."""
        choices = [(p, labels.person_label(p, settings.pilot)) for p in local.names()]
        return page(
            request, "connexion.html", session, status, people=choices, error=error, refusal=refusal,
            provider=provider is not None,
        )  # fmt: skip

    def signed_in_as(key: str, person: Person) -> Response:
        """Off to the person's first page, in a new session (a new CSRF token too)."""
        answer = RedirectResponse(first_page(person.roles), status_code=303)
        session = dump(new_session(key), settings.cookie_key)
        answer.set_cookie(COOKIE, session, httponly=True, samesite="strict")
        return answer

    @app.get("/connexion", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> Response:
        session = load(request.cookies.get(COOKIE), settings.cookie_key) or new_session("")
        answer = sign_in_form(request, session)
        answer.set_cookie(COOKIE, dump(session, settings.cookie_key), httponly=True, samesite="strict")
        return answer

    @app.post("/connexion", response_class=HTMLResponse)
    async def sign_in(
        request: Request, person: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
    ) -> Response:
        session = posted_by(request, csrf)
        found = local.find(person)
        if found is None:
            error = "Choisissez la personne avec laquelle vous connecter."
            return sign_in_form(request, session, 422, error=error)
        return signed_in_as(person, found)

    @app.post("/connexion/fournisseur", response_class=HTMLResponse)
    async def sign_in_at_provider(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        """Off to the pilot's identity provider, the flow's state kept in a cookie of this browser."""
        session = posted_by(request, csrf)
        if provider is None:
            return page(request, "erreur.html", session, 404, message=labels.REFUSALS[404])
        try:
            address, state = await provider.start()
        except Refused as refused:
            return sign_in_form(request, session, refused.status, refusal=refused)
        answer = RedirectResponse(address, status_code=303)
        answer.set_cookie(
            FLOW_COOKIE, state, max_age=600, path=RETURN_PATH, httponly=True, samesite="lax",
            secure=settings.oidc is not None and settings.oidc.public_url.startswith("https:"),
        )  # fmt: skip
        return answer

    @app.get(RETURN_PATH, response_class=HTMLResponse)
    async def back_from_provider(request: Request) -> Response:
        """The provider's answer: checked, then the person signed in (kept here, named by a random id in
        the cookie), or the sign-in page saying in French what went wrong."""
        if provider is None or settings.oidc is None:
            return page(request, "erreur.html", None, 404, message=labels.REFUSALS[404])
        answer: Response
        try:
            verified = await returned(request, provider)
            person = person_of(verified, settings.oidc, settings.pilot)
        except Refused as refused:
            # a new session: the browser sent no Strict cookie along the way back from the provider
            session = new_session("")
            answer = sign_in_form(request, session, refused.status, refusal=refused)
            answer.set_cookie(COOKIE, dump(session, settings.cookie_key), httponly=True, samesite="strict")
        else:
            key = at_provider.add(person, verified.expires_at)
            answer = arrived(request, key, person)
        answer.delete_cookie(FLOW_COOKIE, path=RETURN_PATH)
        return answer

    async def returned(request: Request, provider: Provider) -> Verified:
        """The verified answer of the provider this browser was sent to; the state is spent either way."""
        given = request.query_params
        state, ours = given.get("state", ""), request.cookies.get(FLOW_COOKIE, "")
        if not state or not hmac.compare_digest(state, ours):
            raise Refused(400, EXPIRED, "the state is not this browser's")
        if error := given.get("error"):
            provider.pending.pop(state, None)
            raise provider_error(error, given.get("error_description"))
        return await provider.finish(state, given.get("code", ""))

    def arrived(request: Request, key: str, person: Person) -> Response:
        """A page that opens the person's first page at once (`meta refresh`, and a link). Not a redirect:
        this answer ends a navigation the provider's site started, and the browser sends no SameSite=Strict
        cookie along a redirect chain that began on another site; a page of ours going on to the next is a
        navigation of this site."""
        session = new_session(key)
        start = first_page(person.roles)
        answer = page(request, "connecte.html", session, start=start)
        answer.set_cookie(COOKIE, dump(session, settings.cookie_key), httponly=True, samesite="strict")
        return answer

    @app.post("/deconnexion")
    async def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        session = posted_by(request, csrf)
        at_provider.end(session.person)  # a local person has no server-side session: nothing to end
        answer = RedirectResponse("/connexion", status_code=303)
        answer.delete_cookie(COOKIE)
        return answer

    @app.get("/projets", response_class=HTMLResponse)
    async def projects(request: Request, page_number: int = 1) -> Response:
        session, backend = staff_of(request)
        chosen = {k: v for k in (*FILTERS, *LIST_ORDER) if (v := request.query_params.get(k))}
        params = {**chosen, "page": max(page_number, 1), "per_page": PER_PAGE}
        errors: dict[str, str] = {}
        try:
            listing = await backend.get("/projects", params)
        except InvalidInput as invalid:  # a filter typed by hand in the address: named, the list empty
            errors = {
                name: labels.FILTER_ERRORS.get(name, message) for name, message in invalid.fields.items()
            }
            listing = {"total": 0, "projects": []}
        pages = max(1, -(-listing["total"] // PER_PAGE))
        return page(
            request, "projets.html", session, 422 if errors else 200, listing=listing, chosen=chosen,
            page_number=params["page"], pages=pages, errors=errors,
        )  # fmt: skip

    @app.get("/projets.csv")
    async def projects_csv(request: Request) -> Response:
        _, backend = staff_of(request)
        chosen = {k: v for k in FILTERS if (v := request.query_params.get(k))}
        rows, number = [], 1
        while True:
            listing = await backend.get("/projects", {**chosen, "page": number, "per_page": 200})
            rows += listing["projects"]
            if number * 200 >= listing["total"]:
                break
            number += 1
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            ["identifiant", "titre", "département", "stade", "statut", "objectifs", "déposé le", "financeurs"]
        )
        for p in rows:
            stage = labels.STAGES.get(p["stage"], p["stage"])
            status = labels.STATUSES.get(p["status"], p["status"])
            writer.writerow(
                [p["project_id"], cell(p["title"]), p["department"], stage, status, " ".join(p["objectives"]),
                 p["submitted_on"], " ".join(p["funders"])]
            )  # fmt: skip
        headers = {"Content-Disposition": 'attachment; filename="projets.csv"', "Cache-Control": "no-store"}
        return Response(
            out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers
        )

    @app.get("/projets/{project_id}", response_class=HTMLResponse)
    async def project(request: Request, project_id: str) -> Response:
        session, backend = staff_of(request)
        view = await backend.get(f"/projects/{project_id}/view")
        plan = await backend.get(f"/projects/{project_id}/plan")
        asked = request.query_params.get("corrections") == "demandees"
        recorded = request.query_params.get("acte")
        if view is None:
            return page(request, "erreur.html", session, 404, message=f"Aucun projet {project_id} ici.")
        signed = await backend.get(f"/projects/{project_id}/events")
        receives = settings.intake_url is not None and view["record"]["intake_pilot"] == settings.pilot
        file = await backend.get(f"/projects/{project_id}", service="intake") if receives else None
        return page(
            request, "projet.html", session, view=view, plan=plan, receives=receives, asked=asked, file=file,
            recorded=recorded, events=signed["events"] if signed else [],
            trace=submission_trace(signed, settings),
        )  # fmt: skip

    @app.get("/projets/{project_id}/corrections", response_class=HTMLResponse)
    async def correction_form(request: Request, project_id: str) -> Response:
        session, _ = staff_of(request)
        return page(request, "corrections.html", session, project_id=project_id, sent={}, errors={})

    @app.post("/projets/{project_id}/corrections", response_class=HTMLResponse)
    async def request_correction(request: Request, project_id: str) -> Response:
        """Ask the holder for corrections (intake's act); the holder is told by e-mail."""
        session, backend = staff_of(request)
        form = await request.form()
        posted_by(request, form.get("csrf"))
        sent = {
            "fields": [str(v) for v in form.getlist("fields")],
            "reasons": [str(v) for v in form.getlist("reasons")],
            "remark": str(form.get("remark", "")).strip() or None,
            "answer_by": str(form.get("answer_by", "")).strip() or None,
        }
        try:
            await backend.post("intake", f"/projects/{project_id}/correction-requests", sent)
        except InvalidInput as invalid:
            errors = {
                field.split(".")[0]: labels.FIELD_ERRORS.get(field.split(".")[0], message)
                for field, message in invalid.fields.items()
            }
            return page(
                request, "corrections.html", session, 422, project_id=project_id, sent=sent, errors=errors
            )
        return RedirectResponse(f"/projets/{project_id}?corrections=demandees", status_code=303)

    async def plan_context(backend: Backend, project_id: str) -> dict[str, Any]:
        """What an act's form offers: this pilot's funding requests on the project (a decision answers
        one), its standing decisions (a commitment engages one) and the budget lines the holder submitted
        (a request or an opinion names them)."""
        plan = await backend.get(f"/projects/{project_id}/plan")
        facts = plan["facts"] if plan else {"requests": [], "budget": [], "decisions": []}
        requests = [r for r in facts["requests"] if r["pilot"] == settings.pilot]
        decisions = [
            d
            for d in facts["decisions"]
            if d["pilot"] == settings.pilot and not d["cancelled_on"] and d["outcome"] != "refused"
        ]
        return {"requests": requests, "budget": facts["budget"], "decisions": decisions}

    def first_values(context: dict[str, Any]) -> dict[str, Any]:
        today = date.today().isoformat()
        last_request = context["requests"][-1]["request_id"] if context["requests"] else ""
        last_decision = context["decisions"][-1] if context["decisions"] else None
        eligible = {
            f"eligible-{line['code']}": labels.amount_text(line["amount"]) for line in context["budget"]
        }
        decided = (
            {
                "decision_id": last_decision["decision_id"],
                "amount": labels.amount_text(last_decision["nominal_amount"]),
            }
            if last_decision
            else {}
        )
        return {"decided_on": today, "given_on": today, "requested_on": today, "committed_on": today,
                "request_id": last_request, **eligible, **decided}  # fmt: skip

    def act_form_routes(form: acts.ActForm) -> None:
        @app.get(f"/projets/{{project_id}}/{form.page}", response_class=HTMLResponse)
        async def act_form(request: Request, project_id: str) -> Response:
            session, backend = staff_of(request)
            context = await plan_context(backend, project_id)
            return page(
                request, form.template, session, project_id=project_id, sent=first_values(context),
                errors={}, breach=None, **context,
            )  # fmt: skip

        @app.post(f"/projets/{{project_id}}/{form.page}", response_class=HTMLResponse)
        async def record_act(request: Request, project_id: str) -> Response:
            """Record the pilot's act (funding's). A breach of a rule across funders is shown in French;
            the decider may go through it knowingly, and the act then waits for a second decider."""
            session, backend = staff_of(request)
            posted = await request.form()
            posted_by(request, posted.get("csrf"))
            context = await plan_context(backend, project_id)
            body, errors = form.read(posted, context["budget"])
            breach: dict[str, Any] | None = None
            if not errors:
                try:
                    answer = await backend.post("funding", f"/projects/{project_id}/{form.route}", body)
                except InvalidInput as invalid:
                    errors = {
                        name: form.messages.get(name) or labels.SERVICE_REFUSED_FORM.format(message)
                        for field, message in invalid.fields.items()
                        if (name := field.split(".")[0])
                    }
                except ServiceRefused as refused:
                    if refused.status != 409 or "rules" not in refused.detail:
                        raise
                    breach = refused.detail
                else:
                    if answer.get("pending_id"):
                        return RedirectResponse(
                            f"/actes-en-attente?demande={answer['pending_id']}", status_code=303
                        )
                    return RedirectResponse(f"/projets/{project_id}?acte={form.page}", status_code=303)
            return page(
                request, form.template, session, 409 if breach else 422, project_id=project_id,
                sent=acts.shown(posted), errors=errors, breach=breach, **context,
            )  # fmt: skip

    for form in acts.FORMS.values():
        act_form_routes(form)

    @app.get("/actes-en-attente", response_class=HTMLResponse)
    async def held_acts(request: Request) -> Response:
        """Acts that go through an over-funding or double-funding breach: held until a second decider
        of the pilot, not the one who asked, approves."""
        session, backend = staff_of(request)
        waiting = await backend.get("/pending-acts")
        done = request.query_params.get("approuve")
        held = request.query_params.get("demande")
        return page(
            request, "actes.html", session, pending=waiting["pending"], done=done, held=held, error=None
        )

    @app.post("/actes-en-attente/{pending_id}", response_class=HTMLResponse)
    async def approve(request: Request, pending_id: str) -> Response:
        session, backend = staff_of(request)
        form = await request.form()
        posted_by(request, form.get("csrf"))
        try:
            await backend.post("funding", f"/pending-acts/{pending_id}/approval", {})
        except ServiceRefused as refused:
            if refused.status not in (403, 409):
                raise
            waiting = await backend.get("/pending-acts")
            error = labels.APPROVAL_REFUSED.get(refused.status, refused.reason)
            return page(
                request,
                "actes.html",
                session,
                refused.status,
                pending=waiting["pending"],
                done=None,
                held=None,
                error=error,
            )
        return RedirectResponse(f"/actes-en-attente?approuve={pending_id}", status_code=303)

    @app.get("/suivis", response_class=HTMLResponse)
    async def reviews(request: Request, etat: str = "overdue") -> Response:
        """Follow-up reviews of funded projects (evaluation's view): overdue by default."""
        session, backend = staff_of(request)
        state = etat if etat in labels.REVIEW_STATES else "overdue"
        today = date.today().isoformat()
        found = await backend.get("/reviews", {"as_of": today, "state": state}, service="evaluation")
        return page(request, "suivis.html", session, reviews=found or [], state=state, as_of=today)

    @app.get("/pilotage", response_class=HTMLResponse)
    async def steering(request: Request, annee: int | None = None) -> Response:
        """The steering sessions held in a year, as each pilot present recorded them."""
        session, backend = staff_of(request)
        year = min(max(annee or date.today().year, STRATEGY_FIRST), STRATEGY_LAST)
        found = await backend.get("/sessions", {"year": year}, service="evaluation")
        years = list(range(STRATEGY_FIRST, STRATEGY_LAST + 1))
        return page(request, "pilotage.html", session, sessions=found or [], year=year, years=years)

    @app.get("/comite", response_class=HTMLResponse)
    async def agenda(request: Request) -> Response:
        session, backend = staff_of(request)
        answer = await backend.get("/agenda")
        return page(request, "comite.html", session, projects=answer["projects"])

    @app.get("/preferences", response_class=HTMLResponse)
    async def preferences(request: Request) -> Response:
        session, backend = staff_of(request)
        chosen = await backend.get("/notices/preferences")
        return page(request, "preferences.html", session, chosen=chosen, errors={}, saved=False)

    @app.post("/preferences", response_class=HTMLResponse)
    async def save_preferences(request: Request) -> Response:
        session, backend = staff_of(request)
        form = await request.form()
        posted_by(request, form.get("csrf"))
        current = await backend.get("/notices/preferences")
        modes = {c["kind"]: str(form.get(f"mode-{c['kind']}", c["mode"])) for c in current["choices"]}
        body = {"email": str(form.get("email", "")).strip(), "choices": modes}
        try:
            chosen = await backend.put("/notices/preferences", body)
        except InvalidInput as invalid:
            errors = {
                field: labels.FIELD_ERRORS.get(field, message) for field, message in invalid.fields.items()
            }
            shown = {**current, "email": body["email"]}
            shown["choices"] = [{**c, "mode": modes[c["kind"]]} for c in current["choices"]]
            return page(request, "preferences.html", session, 422, chosen=shown, errors=errors, saved=False)
        return page(request, "preferences.html", session, chosen=chosen, errors={}, saved=True)

    kit = Kit(settings, page, signed_in, posted_by, who)
    holder.add_pages(app, kit)
    network.add_pages(app, kit)
    operations.add_pages(app, kit)
    strategy.add_pages(app, kit)

    @app.get("/accessibilite", response_class=HTMLResponse)
    async def accessibility(request: Request) -> Response:
        return page(request, "accessibilite.html", load(request.cookies.get(COOKIE), settings.cookie_key))

    return app
