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
        # The title travels sealed: the stream alone (and so this command) never shows it in clear.
        out.print(f"[bold]{result.project_id}[/bold]{when}  (title sealed under {r['title_key']})")
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
    show_plan(result)
    events = Table("act on", "pilot", "service", "event", title="timeline")
    for t in result.timeline:
        events.add_row(t["act_on"], t["pilot"], t["service"], t["type"])
    out.print(events)
    for reason in result.rejected:
        out.print(f"[red]not applied[/red] {reason}")
    out.print(f"project digest {result.digest}")


def _euros(cents: int | None) -> str:
    return "-" if cents is None else f"{cents / 100:,.2f}"


def show_plan(result: ProjectAsOf) -> None:
    """The funding plan as every pilot's fold judges it: its status, each funder's acts, every verdict."""
    if result.plan is None:
        return
    p = result.plan
    out.print(
        f"plan {p['status']} · eligible {_euros(p['eligible_total'])} EUR · funded {_euros(p['funded'])} EUR "
        f"(committed {_euros(p['committed'])}, co-funded {_euros(p['cofunded'])}, own funds "
        f"{_euros(p['self_financing'] + p['in_kind'])})"
    )
    acts = Table("kind", "pilot", "id", "on", "amount (EUR)", title="funders' acts")
    for kind, rows in result.facts.items():
        if kind == "acknowledgements":  # not an amount: told after the verdicts
            continue
        for row in rows:
            on = next((str(v) for k, v in row.items() if k.endswith("_on") and v is not None), "")
            ident = next((str(v) for k, v in row.items() if k.endswith("_id") and k != "event_id"), "")
            cents = row.get("amount", row.get("nominal_amount", row.get("eligible_total")))
            acts.add_row(kind.rstrip("s"), row["pilot"], ident, on, _euros(cents))
    if acts.row_count:
        out.print(acts)
    for v in result.verdicts:
        out.print(f"[red]verdict[/red] {v['message']}")
    for a in result.facts.get("acknowledgements", []):
        deciders = f"{a['requested_by']}, {a['approved_by']}"
        out.print(
            f"acknowledged {a['rules']} on {a['acknowledged_on']}: {a['act']} ({a['pilot']}: {deciders})"
        )
