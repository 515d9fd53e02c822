"""`ess webhooks log` and `ess webhooks replay --from SEQ|DATE`: a service's deliveries to partners'
systems, and delivering every chosen event again from a point. They talk to the services of the running
`ess up` (as each pilot's operator to look, its admin to replay), or to one given by `--url` and `--token`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ess_ops.cli.console import fail, note
from ess_ops.cli.targets import StateDirOpt, TokenOpt, UrlOpt, targets

app = typer.Typer(no_args_is_help=True, help="Signed webhooks to partners' systems: the log, a replay.")
ServiceOpt = Annotated[str | None, typer.Option("--service", help="e.g. state-funding (default: every one)")]


@app.command("log")
def log_command(
    service: ServiceOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="pending, delivered or dead")] = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each delivery, newest first: webhook, event, state, attempts, last answer, next try."""
    query = f"?state={state}" if state else ""
    addressed = targets(state_dir, service, url, token, "operator")
    found_at = {name: _get(base, key, f"/webhooks/deliveries{query}") for name, base, key in addressed}
    logs = {name: found for name, found in found_at.items() if found is not None}
    if as_json:
        print(json.dumps(logs, indent=2))
        return
    for name, found in logs.items():
        counts = ", ".join(f"{n} {s}" for s, n in sorted(found["counts"].items())) or "none yet"
        note(f"{name}: webhooks {', '.join(found['webhooks'])}; deliveries {counts}")
        for item in found["items"]:
            answer = item["last_error"] or (f"HTTP {item['last_status']}" if item["last_status"] else "-")
            note(
                f"  {item['created_at'][:19]} {item['webhook']} seq {item['stream_seq']} {item['event_type']}"
                f" {item['state']} after {item['attempts']} attempt(s) ({answer})"
            )
    if not logs:
        fail("no service of this run has a webhook configured")


@app.command("replay")
def replay_command(
    start: Annotated[
        str, typer.Option("--from", help="A stream sequence, or an instant (2026-12-01T08:00Z).")
    ],
    service: ServiceOpt = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Deliver every chosen event again from that point, to every webhook of the service (a new
    generation)."""
    import httpx

    body: dict[str, Any] = (
        {"from_sequence": int(start)} if start.isdigit() else {"from_time": _instant(start)}
    )
    done = 0
    for name, base, key in targets(state_dir, service, url, token, "admin"):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            answer = client.post("/webhooks/replay", json=body)
        if answer.status_code == 404:
            continue
        if answer.status_code != 202:
            fail(f"{name}: {answer.status_code} {answer.text[:200]}")
        note(
            f"{name}: replay from {answer.json()['replayed_from']}, generation {answer.json()['generation']}"
        )
        done += 1
    if not done:
        fail("no service addressed has a webhook configured")


def _get(base: str, token: str, path: str) -> dict[str, Any] | None:
    """The answer, or None from a service with no webhook (404)."""
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        answer = client.get(path)
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        fail(f"{base}{path}: {answer.status_code} {answer.text[:200]}")
    return dict(answer.json())


def _instant(text: str) -> str:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        fail(f"--from {text!r}: a stream sequence (digits) or an ISO instant")
