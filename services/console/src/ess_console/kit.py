"""What every group of pages shares: the settings, how a page is rendered, who is signed in, the check of
a posted form's CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from ess_console.backend import Backend
from ess_console.people import Person
from ess_console.session import Session
from ess_console.settings import ConsoleSettings


class NotSignedIn(Exception):
    pass


class FormExpired(Exception):
    pass


class NotYourPage(Exception):
    """The person is signed in, but their roles are not those the page's service route accepts."""


@dataclass(frozen=True)
class Kit:
    settings: ConsoleSettings
    page: Callable[..., HTMLResponse]
    """`page(request, template, session, status=200, **context)`"""
    signed_in: Callable[[Request], tuple[Session, Backend] | None]
    posted_by: Callable[[Request, object], Session]
    who: Callable[[Session], Person | None]
    """The person a session names (token and roles), whichever way they signed in."""

    def person_of(self, request: Request, roles: frozenset[str]) -> tuple[Session, Backend]:
        """The signed-in person, when their token has one of `roles` (the service route's); else off to
        sign in, or refused."""
        found = self.signed_in(request)
        if found is None:
            raise NotSignedIn
        if self.roles_of(found[0]).isdisjoint(roles):
            raise NotYourPage
        return found

    def roles_of(self, session: Session) -> frozenset[str]:
        """The roles of the person the session names; none when it names nobody."""
        person = self.who(session)
        return person.roles if person else frozenset()

    def open_backend(self) -> Backend:
        """The pilot's services without a person's token: the holder's private link is its own key."""
        return Backend({"intake": self.settings.intake_url}, None)
