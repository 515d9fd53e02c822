"""How `ess project show` prints a project: its record, each funder's decisions, its timeline."""

from __future__ import annotations

import json

from rich.table import Table

from ess_ops.cli.console import out
from ess_ops.cli.project import ProjectAsOf


def show(result: ProjectAsOf, as_of: str | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"as_of": as_of, **result.__dict__}, indent=2, default=str))
        return
    when = f" as of {as_of}" if as_of else ""
    if result.record is None:
        out.print(f"project {result.project_id}{when}: not submitted yet")
    else:
        r = result.record
        out.print(f"[bold]{r['title']}[/bold]  ({result.project_id}{when})")
        out.print(
            f"status {r['status']} · department {r['department']} · stage {r['stage']} · "
            f"objectives {r['objectives'] or '-'} · budget {r['budget_total'] / 100:,.2f} EUR · "
            f"jobs planned {r['planned_jobs']}"
        )
    if result.decisions:
        table = Table(
            "pilot", "decision", "outcome", "instrument", "amount (EUR)", "decided on", "cancelled on"
        )
        for d in result.decisions:
            amount = f"{d['nominal_amount'] / 100:,.2f}"
            table.add_row(
                d["pilot"],
                d["decision_id"],
                d["outcome"],
                d["instrument"],
                amount,
                d["decided_on"],
                d["cancelled_on"] or "",
            )
        out.print(table)
    events = Table("act on", "pilot", "service", "event", title="timeline")
    for t in result.timeline:
        events.add_row(t["act_on"], t["pilot"], t["service"], t["type"])
    out.print(events)
    for reason in result.rejected:
        out.print(f"[red]not applied[/red] {reason}")
    out.print(f"project digest {result.digest}")
