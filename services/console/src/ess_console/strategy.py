"""The strategy page: its axes and objectives, the actions and indicators in force, each indicator's
target and actual for the year, and the annual report's charts, from the pilot's evaluation service.

The charts are the evaluation's own drawings (`GET /charts/{year}`: the report's SVG and its figures),
shown as images with their figures in a table beside them. The figures and charts stay live: the page's
few lines of script (`static/strategie.js`) ask `/strategie/direct` every few seconds with the
fingerprint of what they show, and get the new figures only when they changed."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

import base64
import hashlib
import json
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from ess_console.backend import Backend
from ess_console.kit import Kit, NotSignedIn
from ess_console.labels import DEPARTMENTS, PILOTS
from ess_console.session import Session
from ess_contracts.reference.labels import CHART_SERIES, french_euros

STRATEGY_FIRST, STRATEGY_LAST = 2022, 2028
FINGERPRINT = "X-Empreinte"

# The report's charts in French, by name; a chart the console does not know keeps the report's words.
CHART_TITLES = {
    "indicators": "Réalisé de chaque indicateur, en pourcentage de sa cible de l'année",
    "objectives": "Projets par objectif",
    "departments": "Projets par département",
    "pilots": "Fonds par pilote",
    "reviews": "Suivis dus dans l'année, par échéance",
}
CATEGORY_HEADINGS = {
    "indicators": "Indicateur",
    "objectives": "Objectif",
    "departments": "Département",
    "pilots": "Pilote",
    "reviews": "Échéance",
}
UNITS = {"% of target": "% de la cible", "projects": "projets", "EUR": "euros", "reviews": "suivis"}


def add_pages(app: FastAPI, kit: Kit) -> None:
    @app.get("/strategie", response_class=HTMLResponse)
    async def strategy(request: Request, annee: int | None = None) -> Response:
        """The strategy: its axes and objectives, the actions and indicators in force, each indicator's
        target and actual for the year (a meter, with its figures in words), and the report's charts."""
        session, backend = signed_in(kit, request)
        year = year_of(annee)
        defined = await backend.get("/strategy", service="evaluation")
        live = await live_figures(backend, year)
        return kit.page(
            request, "strategie.html", session, year=year, defined=defined, **live,
            fingerprint=fingerprint_of(live),
        )  # fmt: skip

    @app.get("/strategie/direct", response_class=HTMLResponse)
    async def strategy_live(request: Request, annee: int | None = None, empreinte: str = "") -> Response:
        """The year's figures and charts (the page's live part) when they differ from those the page
        shows (`empreinte`, their fingerprint); else 204. The new fingerprint in `X-Empreinte`."""
        session, backend = signed_in(kit, request)
        year = year_of(annee)
        live = await live_figures(backend, year)
        fingerprint = fingerprint_of(live)
        if fingerprint == empreinte:
            return Response(status_code=204, headers={FINGERPRINT: fingerprint, "Cache-Control": "no-store"})
        shown = kit.page(request, "_strategie_direct.html", session, year=year, **live)
        shown.headers[FINGERPRINT] = fingerprint
        return shown


def signed_in(kit: Kit, request: Request) -> tuple[Session, Backend]:
    found = kit.signed_in(request)
    if found is None:
        raise NotSignedIn
    return found


def year_of(asked: int | None) -> int:
    return min(max(asked or date.today().year, STRATEGY_FIRST), STRATEGY_LAST)


async def live_figures(backend: Backend, year: int) -> dict[str, Any]:
    """What changes as the evaluation's view does: targets against actuals, and the report's charts
    (reviews as of today, or the year's end for a past year)."""
    as_of = min(date.today(), date(year, 12, 31)).isoformat()
    actuals = await backend.get("/indicators/actuals", {"year": year}, service="evaluation")
    charts = await backend.get(f"/charts/{year}", {"as_of": as_of}, service="evaluation")
    return {"actuals": actuals or [], "charts": [shown_chart(c) for c in charts or []]}


def fingerprint_of(live: dict[str, Any]) -> str:
    text = json.dumps(live, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def shown_chart(chart: dict[str, Any]) -> dict[str, Any]:
    """A chart as the page shows it: its French title, the evaluation's drawing as an image (an SVG in an
    image runs no script), and its figures as a table's rows, in French."""
    name, unit = chart["name"], chart["unit"]
    series = [CHART_SERIES.get(s["name"], s["name"]) for s in chart["series"]]
    rows = [
        (category_label(name, category), [number(s["values"][i], unit) for s in chart["series"]])
        for i, category in enumerate(chart["categories"])
    ]
    reference = chart.get("reference")
    return {
        "name": name,
        "title": CHART_TITLES.get(name, chart["title"]),
        "unit": UNITS.get(unit, unit),
        "category": CATEGORY_HEADINGS.get(name, "Catégorie"),
        "series": series,
        "rows": rows,
        "reference": number(reference, unit) if reference else None,
        "image": "data:image/svg+xml;base64," + base64.b64encode(chart["svg"].encode()).decode(),
    }


def category_label(chart: str, code: str) -> str:
    if chart == "departments":
        return f"{code} — {DEPARTMENTS.get(code, code)}"
    if chart == "pilots":
        return PILOTS.get(code, code)
    if chart == "reviews":
        return code.replace("months", "mois")
    return code


def number(figure: dict[str, int], unit: str) -> str:
    """A chart's figure (an integer at a scale) as French readers write it: 12 500,00 €, 40 %, 3."""
    value, scale = figure["value"], figure["scale"]
    if unit == "EUR" and scale == 2:
        return french_euros(value)
    whole, part = divmod(abs(value), 10**scale)
    decimals = f"{part:0{scale}d}".rstrip("0") if scale else ""
    sign = "-" if value < 0 else ""
    text = sign + f"{whole:,}".replace(",", "\u202f") + ("," + decimals if decimals else "")
    return text + ("\u202f%" if unit == "% of target" else "")
