"""Who is signed in: what a session cookie names, turned into the person's token (what every call to a
service carries) and roles (what the pages show and check). Two sign-ins give people: the local one
(`ess up`'s demo people, a token file each; the cookie names the file) and the pilot's identity provider
(OpenID Connect; the token is kept here, in memory, and the cookie names only a random session id)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ess_console import labels


@dataclass(frozen=True)
class Person:
    token: str
    """The bearer token the services receive for this person."""
    roles: frozenset[str]
    label: str
    """How the pages name the person (their role at a local sign-in, their name at the provider's)."""


class People(Protocol):
    def find(self, key: str) -> Person | None:
        """The person a session names; None when it names nobody (any more)."""
        ...


class LocalPeople:
    """The local people of one pilot: `<pilot>-<who>.jwt` in the people folder, read on each request (a
    restarted `ess up` writes new ones). Their roles are read from the token, not verified: the services
    verify it, the console only shows the pages of their role."""

    def __init__(self, folder: Path | None, pilot: str) -> None:
        self.folder, self.pilot = folder, pilot

    def names(self) -> list[str]:
        if self.folder is None:
            return []
        return sorted(p.stem for p in self.folder.glob(f"{self.pilot}-*.jwt"))

    def find(self, key: str) -> Person | None:
        if self.folder is None or key not in self.names():
            return None
        token = (self.folder / f"{key}.jwt").read_text().strip()
        return Person(token, unverified_roles(token), labels.person_label(key, self.pilot))


def unverified_roles(token: str, claim: str = "ess_roles") -> frozenset[str]:
    if token.count(".") != 2:
        return frozenset()
    body = token.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return frozenset(str(role) for role in payload.get(claim, ()))


@dataclass
class SignedIn:
    """The people signed in through the identity provider, in this process's memory: a restart signs them
    out (they sign in again at the provider, usually without typing anything). Each session ends with its
    token; the cookie holds only the session's random id, so a stolen cookie key reveals no token."""

    clock: Callable[[], float] = time.time
    sessions: dict[str, tuple[Person, float]] = field(default_factory=dict)

    def add(self, person: Person, expires_at: float) -> str:
        self._forget_expired()
        key = "oidc-" + secrets.token_urlsafe(32)
        self.sessions[key] = (person, expires_at)
        return key

    def find(self, key: str) -> Person | None:
        found = self.sessions.get(key)
        if found is None or found[1] <= self.clock():
            self.sessions.pop(key, None)
            return None
        return found[0]

    def end(self, key: str) -> None:
        self.sessions.pop(key, None)

    def _forget_expired(self) -> None:
        now = self.clock()
        for key in [k for k, (_, expires_at) in self.sessions.items() if expires_at <= now]:
            del self.sessions[key]


@dataclass(frozen=True)
class AnyOf:
    """The first of several sign-ins that knows the session's key: keys never collide (a local person's is
    `<pilot>-<who>`, a provider's session `oidc-<random>`)."""

    sign_ins: tuple[People, ...]

    def find(self, key: str) -> Person | None:
        for people in self.sign_ins:
            if (person := people.find(key)) is not None:
                return person
        return None
