"""The console's settings, from `ESS_*` variables: its pilot, its pilot's services, where the local people's
tokens are (`ess up`'s sign-in per demo person), the pilot's identity provider (OpenID Connect), the key of
its session cookies."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ServiceToken = Literal["access_token", "id_token"]


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in through the pilot's identity provider: the authorization code flow with PKCE.

    `ESS_CONSOLE_OIDC_ISSUER` (set: the sign-in page offers the provider; its discovery document is read
    from `<issuer>/.well-known/openid-configuration`), `ESS_CONSOLE_OIDC_CLIENT_ID`, optional
    `ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE` (a confidential client; never the secret itself in a variable),
    `ESS_CONSOLE_PUBLIC_URL` (the console's address as browsers reach it: the provider sends them back to
    `<it>/connexion/retour`), optional `ESS_CONSOLE_OIDC_SCOPE` (default `openid profile`),
    `ESS_CONSOLE_OIDC_PILOT_CLAIM` and `ESS_CONSOLE_OIDC_ROLES_CLAIM` (the ID token's claims, dotted paths
    allowed, as the services' `ESS_OIDC_*_CLAIM`; default `ess_pilot`, `ess_roles`) and
    `ESS_CONSOLE_OIDC_SERVICE_TOKEN`: which token the services receive, `access_token` (default; a JWT
    for the services' audience) or `id_token` (for providers whose access tokens are opaque; the services'
    `ESS_OIDC_AUDIENCE` is then the console's client id; see the README)."""

    issuer: str
    client_id: str
    client_secret: str | None
    public_url: str
    scope: str = "openid profile"
    pilot_claim: str = "ess_pilot"
    roles_claim: str = "ess_roles"
    service_token: ServiceToken = "access_token"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/connexion/retour"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        issuer = env.get("ESS_CONSOLE_OIDC_ISSUER")
        if not issuer:
            return None
        missing = [n for n in ("ESS_CONSOLE_OIDC_CLIENT_ID", "ESS_CONSOLE_PUBLIC_URL") if not env.get(n)]
        if missing:
            raise SystemExit(f"ess-console: ESS_CONSOLE_OIDC_ISSUER needs {', '.join(missing)}")
        service_token = env.get("ESS_CONSOLE_OIDC_SERVICE_TOKEN", "access_token")
        if service_token not in ("access_token", "id_token"):
            raise SystemExit("ess-console: ESS_CONSOLE_OIDC_SERVICE_TOKEN is access_token or id_token")
        secret_file = env.get("ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE")
        return cls(
            issuer=issuer,
            client_id=env["ESS_CONSOLE_OIDC_CLIENT_ID"],
            client_secret=Path(secret_file).read_text().strip() if secret_file else None,
            public_url=env["ESS_CONSOLE_PUBLIC_URL"].rstrip("/"),
            scope=env.get("ESS_CONSOLE_OIDC_SCOPE") or "openid profile",
            pilot_claim=env.get("ESS_CONSOLE_OIDC_PILOT_CLAIM") or "ess_pilot",
            roles_claim=env.get("ESS_CONSOLE_OIDC_ROLES_CLAIM") or "ess_roles",
            service_token="id_token" if service_token == "id_token" else "access_token",
        )


@dataclass(frozen=True)
class ConsoleSettings:
    pilot: str
    funding_url: str
    intake_url: str | None
    """The pilot's intake service, where it runs one (the pilot that receives files)."""
    evaluation_url: str | None
    people_dir: Path | None
    cookie_key: bytes
    http_host: str = "127.0.0.1"
    http_port: int = 0
    http_fd: int | None = None
    trace_url: str | None = None
    """Where the pilot's tracing backend shows a trace, `{trace_id}` in it (`ESS_CONSOLE_TRACE_URL`)."""
    oidc: OidcSettings | None = None
    """The pilot's identity provider, when people sign in there (`ESS_CONSOLE_OIDC_*`)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        missing = [n for n in ("ESS_PILOT", "ESS_CONSOLE_FUNDING_URL") if not env.get(n)]
        if missing:
            raise SystemExit(f"ess-console: missing environment variables: {', '.join(missing)}")
        key_file = env.get("ESS_CONSOLE_COOKIE_KEY_FILE")
        return cls(
            pilot=env["ESS_PILOT"],
            funding_url=env["ESS_CONSOLE_FUNDING_URL"].rstrip("/"),
            intake_url=(env.get("ESS_CONSOLE_INTAKE_URL") or "").rstrip("/") or None,
            evaluation_url=(env.get("ESS_CONSOLE_EVALUATION_URL") or "").rstrip("/") or None,
            people_dir=Path(env["ESS_CONSOLE_PEOPLE_DIR"]) if env.get("ESS_CONSOLE_PEOPLE_DIR") else None,
            # without a key file, sessions end with the process: people sign in again
            cookie_key=Path(key_file).read_bytes().strip() if key_file else secrets.token_bytes(32),
            http_host=env.get("ESS_HTTP_HOST", "127.0.0.1"),
            http_port=int(env.get("ESS_HTTP_PORT", "0")),
            http_fd=int(env["ESS_HTTP_FD"]) if env.get("ESS_HTTP_FD") else None,
            trace_url=env.get("ESS_CONSOLE_TRACE_URL") or None,
            oidc=OidcSettings.from_env(env),
        )

    def trace_link(self, trace_id: str) -> str | None:
        return self.trace_url.replace("{trace_id}", trace_id) if self.trace_url else None
