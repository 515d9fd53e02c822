"""What `ess up` prints once everything runs: who runs what where, and how to look at it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.table import Table

from ess_ops.cli.console import note, out
from ess_ops.cli.runfile import RunInfo


def short(path: str | Path) -> str:
    """A path relative to the working dir when it is below it (shorter lines, same meaning)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _under(root: Path, path: str) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def show(info: RunInfo) -> None:
    root = Path(info.state_dir)
    table = Table(
        title="ESS: the default topology", title_justify="left", caption=f"paths under {short(root)}/"
    )
    for column in ("service", "pilot", "http", "database", "log"):
        table.add_column(column, no_wrap=column in ("service", "pilot", "http"), overflow="fold")
    for s in info.services:
        database = s.database_url.split("///", 1)[-1]
        table.add_row(s.service, s.pilot, s.http_url, _under(root, database), _under(root, s.log))
    out.print(table)
    note(f"broker   {info.nats.url}  monitor {info.nats.monitor_url}  stream {info.stream}")
    people = sorted({stem.split("-", 1)[1] for stem in info.tokens})
    if people:
        folder = short(Path(next(iter(info.tokens.values()))).parent)
        note(f"people   one token per person in {folder}/<pilot>-<who>.jwt: {', '.join(people)}")
    first = info.services[0]
    token = shlex.quote(short(info.tokens.get(f"{first.pilot}-operator", "")))
    state = shlex.quote(short(info.state_dir))
    note("")
    note("[bold]Look at it[/bold]")
    for pilot, url in info.consoles.items():
        note(f"  console of {pilot:<6} {url}  (in a browser: sign in as one of the people above)")
    note(f'  curl -H "Authorization: Bearer $(cat {token})" {first.http_url}/status')
    note(f"  ess status --state-dir {state}          (add --json for scripts)")
    note(f"  run file {short(root / 'run.json')}; logs in {short(root / 'logs')}")
    note("[bold]Ctrl-C[/bold] stops everything.")


def show_demo(loaded: dict[str, Any], consoles: dict[str, str], file: Path) -> None:
    """What `ess up --demo` loaded (a second run: what it found already there), and where to look."""
    projects, new = len(loaded["projects"]), loaded["projects_new"]
    accepted, declined = loaded["orientations_answered"]
    note(f"[bold]Demo[/bold] loaded in {loaded['seconds']:.1f} s ({short(file)})")
    networks = loaded["networks_new"]
    note(f"  {projects} projects in the five departments ({new} new now); {networks} support networks new")
    note(f"  France Active (the network person region-network): {accepted} accepted, {declined} declined now")
    note(f"  {loaded['funding_acts']} funding acts recorded now by region, state and bdt")
    over, refused = loaded["over_funding"], loaded["de_minimis"]
    if over:
        how = "already there" if over.get("already") else "held, then approved by bdt-second-decider"
        note(f"  over-funding: « {over['title']} » ({over['project_id']}): bdt's commitment {how}")
    if refused:
        how = (
            "already there"
            if refused.get("already")
            else "refused (409 de minimis), then decided as block exemption"
        )
        note(f"  de minimis: « {refused['title']} » ({refused['project_id']}): the State's grant {how}")
    evaluation = "the example strategy, " if loaded["strategy_loaded"] else ""
    reviews, session = loaded["reviews"], int(loaded["session"])
    note(f"  evaluation: {evaluation}{reviews} reviews and {session} steering session recorded now")
    for pilot, url in consoles.items():
        note(f"  console of {pilot:<6} {url}/projets  (sign in as {pilot}-instructor)")
    if over:
        note(f"  the over-funding alert: {consoles.get('region', '')}/projets/{over['project_id']}")
