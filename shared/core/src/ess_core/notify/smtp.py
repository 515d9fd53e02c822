"""The pilot's mail server, from `ESS_SMTP_*` settings: host, port, STARTTLS, credentials from a secret
file, the sender address. No host: notices are kept in the outbox, not sent."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        if not env.get("ESS_SMTP_HOST"):
            return None
        if not env.get("ESS_SMTP_FROM"):
            raise SystemExit("ESS_SMTP_FROM: the sender address of notices is required with ESS_SMTP_HOST")
        port = env.get("ESS_SMTP_PORT", "587")
        if not port.isdigit():
            raise SystemExit(f"ESS_SMTP_PORT: a port number, not {port!r}")
        password = env.get("ESS_SMTP_PASSWORD_FILE")
        return cls(
            host=env["ESS_SMTP_HOST"],
            sender=env["ESS_SMTP_FROM"],
            port=int(port),
            starttls=env.get("ESS_SMTP_STARTTLS", "true").lower() not in ("false", "0", "no"),
            username=env.get("ESS_SMTP_USER") or None,
            password_file=Path(password) if password else None,
        )

    def send(self, message: EmailMessage) -> None:
        """Blocking: run it in a thread."""
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as server:
            if self.starttls:
                server.starttls(context=ssl.create_default_context())
            if self.username:
                password = self.password_file.read_text().strip() if self.password_file else ""
                server.login(self.username, password)
            server.send_message(message)
