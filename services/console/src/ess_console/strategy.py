"""The strategy page: its axes and objectives, the actions and indicators in force, each indicator's
target and actual for the year, from the pilot's evaluation service."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the routes.

from datetime import date

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from ess_console.kit import Kit, NotSignedIn

STRATEGY_FIRST, STRATEGY_LAST = 2022, 2028


def add_pages(app: FastAPI, kit: Kit) -> None:
    @app.get("/strategie", response_class=HTMLResponse)
    async def strategy(request: Request, annee: int | None = None) -> Response:
        """The strategy: its axes and objectives, the actions and indicators in force, each indicator's
        target and actual for the year (a meter, with its figures in words)."""
        found = kit.signed_in(request)
        if found is None:
            raise NotSignedIn
        session, backend = found
        year = min(max(annee or date.today().year, STRATEGY_FIRST), STRATEGY_LAST)
        defined = await backend.get("/strategy", service="evaluation")
        actuals = await backend.get("/indicators/actuals", {"year": year}, service="evaluation")
        return kit.page(request, "strategie.html", session, year=year, defined=defined, actuals=actuals)
