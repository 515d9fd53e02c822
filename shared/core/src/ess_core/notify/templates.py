"""Each service's notice templates (`<package>/notices/<kind>.subject.txt`, `.txt`, `.html`, in French),
or a pilot's own versions of them in `ESS_NOTICE_TEMPLATES_DIR` (a file there replaces the service's); the
daily digest's are the core's own (`ess_core/notify/notices/`)."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)


class Templates:
    def __init__(self, package: str, override: Path | None = None) -> None:
        loaders = [FileSystemLoader(override)] if override else []
        self.env = Environment(
            loader=ChoiceLoader(
                [*loaders, PackageLoader(package, "notices"), PackageLoader("ess_core.notify", "notices")]
            ),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,  # a template naming what the notice lacks fails loudly
            keep_trailing_newline=True,
        )

    def subject(self, kind: str, context: Mapping[str, Any]) -> str:
        return self.env.get_template(f"{kind}.subject.txt").render(context).strip()

    def message(self, kind: str, context: Mapping[str, Any], headers: Mapping[str, str]) -> EmailMessage:
        """The notice as a multipart e-mail: plain text, and HTML as the alternative."""
        message = EmailMessage()
        message["Subject"] = self.subject(kind, context)
        for name, value in headers.items():
            message[name] = value
        message["Date"] = formatdate(usegmt=True)
        message.set_content(self.env.get_template(f"{kind}.txt").render(context))
        message.add_alternative(self.env.get_template(f"{kind}.html").render(context), subtype="html")
        return message
