"""How `ess verify` tells its verdict: a table for people, or JSON for scripts."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from ess_ops.cli.console import note, out
from ess_ops.cli.export import Verdict


def show(verdict: Verdict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(verdict.as_json(), indent=2, sort_keys=True))
        return
    note(f"{verdict.messages} messages ({verdict.subjects}), {verdict.applied} applied")
    note(f"shared views' digest {verdict.digest}")
    if verdict.findings:
        table = Table(title="messages that fail", title_justify="left")
        for column in ("seq", "subject", "kind", "reason"):
            table.add_column(column)
        for f in verdict.findings:
            table.add_row(str(f.seq), escape(f.subject), f.kind, escape(f.reason))
        out.print(table)
    for c in verdict.checkpoints:
        said = (
            "[green]reproduced[/green]"
            if c.agrees
            else f"[red]not reproduced[/red] (recomputed {c.recomputed})"
        )
        note(f"checkpoint of {c.service} at {c.position} (message {c.seq}): {c.stated[:16]}… {said}")
    note("[green]verified[/green]" if verdict.ok else "[red]does not verify[/red]")
