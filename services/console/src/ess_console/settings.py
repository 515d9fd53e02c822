"""The console's settings, from `ESS_*` variables: its pilot, its pilot's services, where the local people's
tokens are (`ess up`'s sign-in per demo person), the key of its session cookies."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


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
        )

    def trace_link(self, trace_id: str) -> str | None:
        return self.trace_url.replace("{trace_id}", trace_id) if self.trace_url else None

    def people(self) -> list[str]:
        """The local people of this pilot who may sign in (`<pilot>-<who>.jwt` in the people folder)."""
        if self.people_dir is None:
            return []
        return sorted(p.stem for p in self.people_dir.glob(f"{self.pilot}-*.jwt"))

    def token_of(self, person: str) -> str | None:
        if person not in self.people() or self.people_dir is None:
            return None
        return (self.people_dir / f"{person}.jwt").read_text().strip()

    def roles_of(self, person: str) -> frozenset[str]:
        """The roles the person's token carries, read (not verified: the services verify it) to show the
        pages of their role and keep the others' from them."""
        token = self.token_of(person)
        if token is None or token.count(".") != 2:
            return frozenset()
        claims = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        return frozenset(str(role) for role in payload.get("ess_roles", ()))
