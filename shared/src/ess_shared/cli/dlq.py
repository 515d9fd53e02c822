"""`ess dlq list` and `ess dlq retry SEQ`: what each service could not apply (dead letters, parked
events), and applying one again after a fix. They talk to the services of the running `ess up`, or to
one service given by `--url` and `--token`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ess_shared.cli.console import fail, note

app = typer.Typer(no_args_is_help=True, help="Dead letters and parked events; apply one again.")

StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="Where `ess up` keeps keys, data, logs.")]
ServiceOpt = Annotated[
    str | None, typer.Option("--service", help="e.g. bdt-funding [default: every service]")
]
UrlOpt = Annotated[
    str | None, typer.Option("--url", envvar="ESS_SERVICE_URL", help="One service's HTTP base.")
]
TokenOpt = Annotated[Path | None, typer.Option("--token", envvar="ESS_TOKEN_FILE", help="Bearer token file.")]


def targets(
    state_dir: Path, service: str | None, url: str | None, token: Path | None
) -> list[tuple[str, str, str]]:
    """(name, base url, token) of each service addressed."""
    if url is not None:
        if token is None:
            fail("--url needs --token (a file holding a bearer token of the service's pilot)")
        return [(service or url, url, token.read_text().strip())]
    from ess_shared.cli import runfile

    try:
        info = runfile.load(state_dir / "run.json")
    except runfile.RunFileError as exc:
        fail(str(exc))
    chosen = [s for s in info.services if service in (None, s.name)]
    if not chosen:
        fail(f"no service {service!r} in this run: {', '.join(s.name for s in info.services)}")
    return [(s.name, s.http_url, Path(info.tokens[s.pilot]).read_text().strip()) for s in chosen]


def call(method: str, base: str, token: str, path: str) -> Any:
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:
        answer = client.request(method, path)
    if answer.status_code == 404 and method == "POST":
        return None
    if answer.status_code >= 400:
        fail(f"{base}{path}: {answer.status_code} {answer.text[:200]}")
    return answer.json()


@app.command("list")
def list_command(
    service: ServiceOpt = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each dead letter and parked event: stream sequence, subject, consumer, reason, deliveries."""
    reports = [call("GET", base, key, "/dlq") for _, base, key in targets(state_dir, service, url, token)]
    if as_json:
        print(json.dumps(reports, indent=2))
        return
    from rich.table import Table

    from ess_shared.cli.console import out

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
    for name, base, key in targets(state_dir, service, url, token):
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
