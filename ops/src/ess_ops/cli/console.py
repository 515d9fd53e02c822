"""Rich consoles and the one-line error every command ends with when it cannot go on."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# Piped or redirected output (logs, CI) gets wide lines instead of Rich's default of 80 columns.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
out = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)


def error(message: str) -> None:
    """One red line on stderr, never wrapped."""
    err.print(f"[bold red]error:[/bold red] {escape(message)}", soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    error(message)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One yellow line on stderr: something went less well than it should, the command goes on."""
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)


def note(message: str) -> None:
    out.print(message, soft_wrap=True, highlight=False)
