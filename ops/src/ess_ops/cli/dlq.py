"""`ess dlq list` and `ess dlq retry SEQ`: what each service could not apply (dead letters, parked
events), and applying one again after a fix. They talk to the services of the running `ess up`, or to
one service given by `--url` and `--token`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ess_ops.cli.console import fail, note
from ess_ops.cli.targets import StateDirOpt, TokenOpt, UrlOpt, call, targets

app = typer.Typer(no_args_is_help=True, help="Dead letters and parked events; apply one again.")
ServiceOpt = Annotated[
    str | None, typer.Option("--service", help="e.g. bdt-funding (default: every service)")
]


@app.command("list")
def list_command(
    service: ServiceOpt = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each dead letter and parked event: stream sequence, subject, consumer, reason, deliveries."""
    addressed = targets(state_dir, service, url, token, "operator")
    reports = [call("GET", base, key, "/dlq") for _, base, key in addressed]
    if as_json:
        print(json.dumps(reports, indent=2))
        return
    from rich.table import Table

    from ess_ops.cli.console import out

    table = Table(title="Dead letters and parked events")
    for column in ("seq", "consumer", "kind", "deliveries", "subject", "reason"):
        table.add_column(column)
    for report in reports:
        for item in report["items"]:
            deliveries = "-" if item["deliveries"] is None else str(item["deliveries"])
            kind = item["kind"]
            table.add_row(
                str(item["stream_seq"]), item["consumer"], kind, deliveries, item["subject"], item["reason"]
            )
    out.print(table)
    total = sum(len(r["items"]) for r in reports)
    note(f"{total} in all across {len(reports)} service(s)")


@app.command("retry")
def retry_command(
    seq: Annotated[int, typer.Argument(help="The stream sequence of the dead letter or parked event.")],
    service: ServiceOpt = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Apply it again (after a fix) wherever it is held; exit 1 if it is still not applied somewhere."""
    found = still = 0
    for name, base, key in targets(state_dir, service, url, token, "operator"):
        result = call("POST", base, key, f"/dlq/{seq}/retry")
        if result is None:
            continue
        found += 1
        reason = f": {result['reason']}" if result.get("reason") else ""
        note(f"{name}: {seq} was {result['was']}, now {result['outcome']}{reason}")
        still += result["outcome"] in ("parked", "dead")
    if not found:
        fail(f"stream sequence {seq} is neither dead-lettered nor parked at {service or 'any service'}")
    raise typer.Exit(1 if still else 0)
