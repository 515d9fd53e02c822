"""`ess republish --service NAME`: a service publishes its whole journal again (after a lost stream).
Running it twice changes nothing: the broker drops repeats inside its duplicate window, the views drop
them by event id outside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ess_shared.cli.console import note
from ess_shared.cli.dlq import StateDirOpt, TokenOpt, UrlOpt, call, targets


def republish_command(
    service: Annotated[
        str | None, typer.Option("--service", help="e.g. bdt-funding; --all for every service")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every service of this run.")] = False,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Publish a service's whole journal again; its views then catch up from the stream."""
    if service is None and not every and url is None:
        from ess_shared.cli.console import fail

        fail("name a service (--service bdt-funding) or --all")
    for name, base, key in targets(state_dir, service, url, token):
        answer = call("POST", base, key, "/republish")
        note(f"{name}: {answer['published']} of {answer['journal']} journal events published again")
