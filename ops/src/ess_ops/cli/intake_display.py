"""How the intake commands print: one summary line, then tables; refusals field by field."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from ess_ops.cli.console import err, out


def show_submitted(answer: dict[str, Any], base_url: str, replayed: bool) -> None:
    again = " (the first answer to this file: nothing new was created)" if replayed else ""
    out.print(f"[bold]project {answer['project_id']}[/bold] submitted{again}", soft_wrap=True)
    objectives = ", ".join(answer["objectives"]) or "-"
    verdict = (
        "eligible" if answer["eligible"] else f"ineligible ({', '.join(answer['ineligibility_reasons'])})"
    )
    out.print(f"status {answer['status']} · {verdict} · objectives {objectives}", soft_wrap=True)
    out.print(f"oriented to: {', '.join(answer['oriented_to']) or 'no network fits yet'}", soft_wrap=True)
    out.print(f"holder's private link: {base_url}{answer['follow_link']}", soft_wrap=True, highlight=False)


def show_errors(status: int, body: dict[str, Any]) -> None:
    detail = body.get("detail")
    if isinstance(detail, list):
        err.print(f"[bold red]refused (HTTP {status})[/bold red]: {len(detail)} field(s) to fix")
        for item in detail:
            err.print(
                f"  {escape(str(item.get('field') or item.get('loc')))}: {escape(str(item.get('msg')))}"
            )
        return
    reason = detail.get("reason") if isinstance(detail, dict) else detail
    err.print(f"[bold red]refused (HTTP {status})[/bold red]: {escape(str(reason))}", soft_wrap=True)


def show_project_file(f: dict[str, Any], history: list[dict[str, Any]]) -> None:
    org, person, p, q = f["organisation"], f["contact"], f["project"], f["qualification"]
    out.print(f"[bold]{escape(p['title'])}[/bold]  ({f['project_id']}) · status {f['status']}")
    siret = org["siret"] or "being created"
    out.print(
        f"holder {escape(org['name'])} · SIRET {siret} · {org['legal_form']} · department {org['department']}"
    )
    contact = (
        "erased on " + person["erased_on"] if person["erased_on"] else f"{person['name']} · {person['email']}"
    )
    out.print(f"contact {escape(contact)} · {person['phone'] or ''}", soft_wrap=True)
    verdict = "eligible" if q["eligible"] else "ineligible: " + ", ".join(q["ineligibility_reasons"])
    out.print(f"{p['stage']} · objectives {', '.join(q['objectives'])} · {verdict}")
    budget = Table("code", "label", "category", "amount (EUR)", title=f"budget {p['budget_total']} EUR")
    for line in p["budget_lines"]:
        budget.add_row(line["code"], escape(line["label"]), line["category"], str(line["amount"]))
    out.print(budget)
    _rows("attachments", ("file_name", "kind", "media_type", "size_bytes"), f["attachments"])
    _rows("orientations", ("network_name", "oriented_on", "answer", "answered_on"), f["orientations"])
    _rows(
        "correction requests", ("requested_on", "fields", "remark", "answered_on"), f["correction_requests"]
    )
    _rows("history", ("sequence", "type", "occurred_at"), history)


def _rows(title: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(
            *(escape(", ".join(v) if isinstance(v, list) else str(v or "")) for v in map(row.get, columns))
        )
    out.print(table)
