"""`ess republish --service NAME`: a service publishes its whole journal again (after a lost stream).
Running it twice changes nothing: the broker drops repeats inside its duplicate window, the views drop
them by event id outside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ess_ops.cli.console import fail, note
from ess_ops.cli.progress import Reading, Stalled, follow
from ess_ops.cli.targets import STALL_AFTER_S, StallOpt, StateDirOpt, TokenOpt, UrlOpt, call, targets


def republish_command(
    service: Annotated[
        str | None, typer.Option("--service", help="e.g. bdt-funding; --all for every service")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every service of this run.")] = False,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
    stall_after: StallOpt = STALL_AFTER_S,
) -> None:
    """Publish a service's whole journal again, showing progress; its views then catch up from the stream.
    It waits as long as publishing moves, and fails after --stall-after seconds still."""
    if service is None and not every and url is None:
        fail("name a service (--service bdt-funding) or --all")
    for name, base, key in targets(state_dir, service, url, token, "admin"):
        run = call("POST", base, key, "/republish")

        def read(base: str = base, key: str = key) -> Reading:
            nonlocal run
            run = call("GET", base, key, "/republish")
            return Reading(run["published"], run["journal"], finished=run["done"])

        try:
            follow(read, f"republish {name}", "events", stall_after)
        except Stalled as exc:
            fail(str(exc))
        if run["error"]:
            fail(f"{name}: republish failed after {run['published']} events: {run['error']}")
        note(f"{name}: {run['published']} of {run['journal']} journal events published again")
