"""How `ess status` shows its report: a Rich table, or JSON for scripts."""

from __future__ import annotations

import sys

from rich.markup import escape
from rich.table import Table

from ess_ops.cli.console import note, out
from ess_ops.cli.status_model import PeerState, Report, ServiceState


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


def _with_age(value: int | None, age: float | None, limit: float) -> str:
    """`3 (12 s)`: a count and the age of its oldest; red past the limit."""
    if value is None:
        return "[dim]-[/dim]"
    if not value:
        return "0"
    text = f"{value} ({age:.0f} s)" if age is not None else str(value)
    return f"[red]{text}[/red]" if age is not None and age > limit else f"[yellow]{text}[/yellow]"


def _peer_table(peers: list[PeerState], limit: float) -> Table:
    table = Table(
        title="other services, from their latest checkpoint on the stream (signature verified)",
        title_justify="left",
    )
    for column in ("service", "pilot", "checkpoint", "age", "applied", "lag", "parked", "dead letters"):
        table.add_column(column, justify="left" if column in ("service", "pilot") else "right")
    for p in peers:
        if not p.verified:
            table.add_row(p.service, p.pilot, f"[red]unverified: {escape(str(p.error))}[/red]", *["-"] * 5)
            continue
        age = p.checkpoint_age_seconds
        stale = age is not None and age > limit and bool(p.lag)
        table.add_row(
            p.service,
            p.pilot,
            f"#{p.checkpoint_seq}",
            f"[red]{age:.0f} s[/red]" if stale else f"{age or 0:.0f} s",
            _num(p.applied_position),
            _num(p.lag, 0),
            _num(p.parked, 0),
            f"[red]{p.dead_letters}[/red]" if p.dead_letters else "0",
        )
    return table


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
            f"consumers {st.consumers}, subjects {', '.join(st.subjects)}, last event {st.last_event_seq}"
        )
        for limit in st.limits:
            if limit.maximum is not None:
                colour = "red" if limit.alarm else "green"
                note(f"        {limit.limit} [{colour}]{limit.ratio:.0%}[/{colour}] of {limit.maximum}")
    elif b.ok:
        note(f"stream  [red]{st.name}: {escape(str(st.error))}[/red]")
    t = report.thresholds
    title = f"services (probe {report.probe_id})" if report.probe_id else "services of this ess up"
    table = Table(title=title, title_justify="left")
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
            _with_age(s.outbox_backlog, s.outbox_oldest_age_seconds, t.max_outbox_age_seconds),
            _num(s.applied_position),
            _with_age(s.lag, s.lag_seconds, t.max_lag_seconds),
            _num(s.parked, 0),
            f"[red]{s.dead_letters}[/red]" if s.dead_letters else _num(s.dead_letters),
            _probe(s),
        )
    if report.services:
        out.print(table)
    if report.peers:
        out.print(_peer_table(report.peers, t.max_lag_seconds))
    for problem in report.problems:
        note(f"[red]problem:[/red] {escape(problem)}")
    note("[green]healthy[/green]" if report.healthy else "[red]unhealthy[/red]")


def show_json(report: Report) -> None:
    sys.stdout.write(report.model_dump_json(indent=2) + "\n")


def show_watch(report: Report, as_json: bool, every: float) -> None:
    """One refresh of `--watch`: the screen redrawn, or one JSON object per line."""
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        sys.stdout.flush()
        return
    out.clear()
    note(f"[dim]{report.checked_at} · every {every:g} s · Ctrl-C stops[/dim]")
    show(report)
