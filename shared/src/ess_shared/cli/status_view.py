"""How `ess status` shows its report: a Rich table, or JSON for scripts."""

from __future__ import annotations

import sys

from rich.markup import escape
from rich.table import Table

from ess_shared.cli.console import note, out
from ess_shared.cli.status_model import Report, ServiceState


def _num(value: int | None, warn_above: int | None = None) -> str:
    if value is None:
        return "[dim]-[/dim]"
    if warn_above is not None and value > warn_above:
        return f"[yellow]{value}[/yellow]"
    return str(value)


def _process(s: ServiceState) -> str:
    if not s.alive:
        return f"[red]gone ({s.pid})[/red]"
    return f"[green]{s.pid}[/green]" if s.http_ok else f"[yellow]{s.pid}, no /healthz[/yellow]"


def _probe(s: ServiceState) -> str:
    if s.probe_applied:
        return "[green]applied[/green]"
    return "[dim]-[/dim]" if s.probes is None else "[yellow]pending[/yellow]"


def show(report: Report) -> None:
    b, st = report.broker, report.stream
    if b.ok:
        note(
            f"broker  [green]ok[/green]  {b.url}  streams {b.streams}, consumers {b.consumers}, "
            f"storage {b.storage_bytes} B"
        )
    else:
        note(f"broker  [red]down[/red]  {b.url}: {escape(str(b.error))}")
    if st.ok:
        note(
            f"stream  [green]{st.name}[/green]  messages {st.messages}, last seq {st.last_seq}, "
            f"consumers {st.consumers}, subjects {', '.join(st.subjects)}"
        )
    elif b.ok:
        note(f"stream  [red]{st.name}: {escape(str(st.error))}[/red]")
    table = Table(title=f"services (probe {report.probe_id})", title_justify="left")
    for column in (
        "service",
        "pilot",
        "process",
        "http",
        "outbox backlog",
        "applied",
        "lag",
        "parked",
        "dead letters",
        "probe",
    ):
        table.add_column(column, justify="right" if column in ("applied", "lag", "parked") else "left")
    for s in report.services:
        table.add_row(
            s.service,
            s.pilot,
            _process(s),
            s.http_url,
            _num(s.outbox_backlog, 0),
            _num(s.applied_position),
            _num(s.lag, 0),
            _num(s.parked, 0),
            _num(s.dead_letters, 0),
            _probe(s),
        )
    out.print(table)
    for problem in report.problems:
        note(f"[red]problem:[/red] {escape(problem)}")
    note("[green]healthy[/green]" if report.healthy else "[red]unhealthy[/red]")


def show_json(report: Report) -> None:
    sys.stdout.write(report.model_dump_json(indent=2) + "\n")
