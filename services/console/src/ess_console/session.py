"""Session cookies signed with the console's key (HMAC-SHA256), holding who signed in and the token that
every form posts back (CSRF): a form from another site cannot know it. The cookie is HttpOnly and
SameSite=Strict; it holds the person's name only, never their bearer token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

COOKIE = "ess_console"


@dataclass(frozen=True)
class Session:
    person: str
    csrf: str


def new_session(person: str) -> Session:
    return Session(person, secrets.token_urlsafe(24))


def dump(session: Session, key: bytes) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"p": session.person, "c": session.csrf}).encode()).decode()
    return f"{body}.{_mac(body, key)}"


def load(cookie: str | None, key: bytes) -> Session | None:
    if not cookie or "." not in cookie:
        return None
    body, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(body, key)):
        return None
    data = json.loads(base64.urlsafe_b64decode(body))
    return Session(str(data["p"]), str(data["c"]))


def _mac(body: str, key: bytes) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
