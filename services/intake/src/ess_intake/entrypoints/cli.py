"""The intake service's `ess` commands, registered through the `ess.commands` entry point."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this service's commands to `ess`. Keep imports inside the commands: `ess` starts fast."""
