"""A real SMTP server for the tests (aiosmtpd, in a thread of the test process): it keeps every message
it is given, as the standard library parses it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from ess_core.notify.smtp import SmtpSettings
from ess_ops.nats.natsserver import HeldPort

SENDER = "instruction-ess@paysdelaloire.example"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_sink() -> Iterator[tuple[Inbox, SmtpSettings]]:
    """The server, and the settings a service sends to it with (no TLS: a local test server)."""
    inbox = Inbox()
    with HeldPort() as held:  # asyncio's server binds it with SO_REUSEADDR too
        controller = Controller(inbox, hostname="127.0.0.1", port=held.port)
        controller.start()
        try:
            yield inbox, SmtpSettings(host="127.0.0.1", port=held.port, sender=SENDER, starttls=False)
        finally:
            controller.stop()
