"""`ess report` and `ess strategy load`: the evaluation service's commands.

`ess report --year YYYY --out DIR` reads an evaluation database and writes the annual report: `index.html`,
its charts as SVG images under `charts/`, one CSV per table and `SHA256SUMS` (the evaluation service's
`python -m ess_evaluation.entrypoints.report`, run as a process). Which database: `--database`
(or ESS_DATABASE_URL) when given, else the evaluation service of `--pilot` (default region) of the
`ess up` running with `--state-dir` (its `run.json`). It only reads: a running service may go on writing.

`ess strategy load FILE` (or `--demo`, the example file shipped with the service) posts a strategy
document to a running evaluation service, which signs and publishes each definition as an event.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="The state dir of a running `ess up`.")]
PilotOpt = Annotated[str, typer.Option("--pilot", help="Whose evaluation service: region, state or bdt.")]
REPORT_MODULE = "ess_evaluation.entrypoints.report"  # run as a process: ops never imports a service


def register(app: typer.Typer) -> None:
    """Add this service's commands to `ess`. Keep imports inside the commands: `ess` starts fast."""
    app.command("report")(report_command)
    strategy = typer.Typer(no_args_is_help=True, help="The strategy's actions and indicators, as data.")
    strategy.command("load")(strategy_load)
    app.add_typer(strategy, name="strategy")


def report_command(
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="The calendar year reported.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the report into.")],
    database: Annotated[
        str | None,
        typer.Option(
            "--database", envvar="ESS_DATABASE_URL", help="An evaluation database URL (SQLAlchemy)."
        ),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="Reviews as of this day (default: 31 December of the year)."
        ),
    ] = None,
    state_dir: StateDirOpt = Path(".ess"),
    pilot: PilotOpt = "region",
) -> None:
    """Write the annual evaluation report (HTML with SVG charts, and CSV tables) from an evaluation view."""
    import subprocess
    import sys
    from importlib.util import find_spec

    from ess_ops.cli.console import fail
    from ess_ops.cli.targets import running

    if find_spec(REPORT_MODULE.partition(".")[0]) is None:
        fail("the evaluation service is not installed beside this `ess`: it writes the report")
    command = [sys.executable, "-m", REPORT_MODULE, "--year", str(year), "--out", str(out)]
    command += ["--database", database or running(state_dir, pilot, "evaluation").database_url]
    command += ["--as-of", as_of.date().isoformat()] if as_of else []
    raise typer.Exit(subprocess.run(command, check=False).returncode)


def strategy_load(
    file: Annotated[Path | None, typer.Argument(help="A strategy document (JSON), as the demo file.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the example strategy shipped with the service.")
    ] = False,
    url: Annotated[
        str | None, typer.Option("--url", help="The evaluation service (default: from run.json).")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", envvar="ESS_TOKEN", help="A bearer token.")] = None,
    state_dir: StateDirOpt = Path(".ess"),
    pilot: PilotOpt = "region",
) -> None:
    """Define the actions and indicators of a strategy document through a running evaluation service."""
    from importlib.resources import files

    from ess_ops.cli.console import fail, note
    from ess_ops.cli.evaluation_client import post_json
    from ess_ops.cli.targets import endpoint

    if (file is None) == (not demo):
        fail("give a strategy FILE or --demo (one of them)")
    document = (
        file.read_bytes() if file else (files("ess_evaluation") / "demo" / "strategy-demo.json").read_bytes()
    )
    target = endpoint(state_dir, pilot, "evaluation", url, None, role="admin", token=token)
    status, body = post_json(f"{target.url}/strategy", document, target.token)
    if status != 202:
        fail(f"the evaluation service refused the strategy ({status}): {body}")
    note(f"strategy loaded at {target.url}: {len(body['event_ids'])} definitions published")
