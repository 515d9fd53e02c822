"""`ess view ...`: compare every pilot's services through their checkpoints; ask for checkpoints;
rebuild a service's views from the stream."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from ess_contracts.signing import TrustFile, TrustStore
from ess_core.service.checkpoint_comparison import Comparison, compare, latest_checkpoints
from ess_ops.cli.broker import connect
from ess_ops.cli.console import fail, out
from ess_ops.cli.progress import Reading, follow
from ess_ops.cli.runfile import RunInfo
from ess_ops.cli.targets import STALL_AFTER_S, person_token


async def digest_report(nats_url: str, trust_file: Path, login: Mapping[str, Any]) -> Comparison:
    trust = TrustStore(TrustFile.load(trust_file))
    async with connect(nats_url, login) as nc:
        found, unverified = await latest_checkpoints(nc.jetstream(), trust)
    return compare(found, unverified, trust.digest)


def show(comparison: Comparison, as_json: bool) -> None:
    rows = sorted(comparison.checkpoints, key=lambda c: (-c.figures.stream_sequence, c.service))
    if as_json:
        print(
            json.dumps(
                {
                    "agree": comparison.agree,
                    "disagreeing": comparison.disagreeing,
                    "unverified": comparison.unverified,
                    "other_trust": comparison.other_trust,
                    "services": [
                        {"service": c.service, "checkpoint_seq": c.stream_seq, **c.figures.model_dump()}
                        for c in rows
                    ],
                },
                indent=2,
            )
        )
        return
    table = Table(title="Latest checkpoint of every service (read from the stream, signatures verified)")
    for column in (
        "service",
        "applied up to",
        "events",
        "view digest",
        "own views",
        "parked",
        "dead",
        "catalogue",
        "trust",
    ):
        table.add_column(column)
    for c in rows:
        f = c.figures
        mark = " [red]≠[/red]" if c.service in comparison.disagreeing else ""
        table.add_row(
            c.service,
            str(f.stream_sequence),
            str(f.applied_events),
            f.view_digest[:16] + mark,
            (f.own_view_digest or "—")[:16],
            str(f.parked),
            str(f.dead_letters),
            f.catalogue_version,
            f.trust_hash[:8],
        )
    out.print(table)
    for line in comparison.unverified:
        out.print(f"[red]unverified checkpoint[/red] {line}")
    if comparison.other_trust:
        out.print(
            "[yellow]judged with another trust file than this one:[/yellow] "
            f"{', '.join(comparison.other_trust)} (compared among themselves; restart on the current one)"
        )
    for (seq, count, _, _), members in sorted(comparison.groups.items(), reverse=True):
        names = ", ".join(sorted(m.service for m in members))
        split = [m.service for m in members if m.service in comparison.disagreeing]
        verdict = f"[red]DISAGREE: {', '.join(split)}[/red]" if split else "[green]agree[/green]"
        out.print(f"applied up to {seq} ({count} events): {names} — {verdict}")


def _client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def request_checkpoints(info: RunInfo, names: list[str]) -> None:
    for service in info.services:
        if names and service.name not in names:
            continue
        token = person_token(info.tokens, service.pilot, "operator")
        with _client(service.http_url, token) as client:
            answer = client.post("/checkpoint")
            answer.raise_for_status()
        out.print(f"{service.name}: checkpoint {answer.json()['event_id']}")


def rebuild(name: str, base_url: str, token: str, stall_after: float = STALL_AFTER_S) -> str:
    """Ask the service to rebuild; follow it until it has applied as many events as before (no fixed limit,
    see progress.py); say whether its digest came back the same, and return it."""
    with _client(base_url, token) as client:
        before = _digest(client)
        client.post("/view/rebuild").raise_for_status()
        latest = before

        def read() -> Reading:
            nonlocal latest
            latest = _digest(client)
            done, total = latest["applied_events"], before["applied_events"]
            return Reading(done, total, finished=done >= total)

        follow(read, f"rebuild {name}", "events", stall_after)
    same = "same digest" if latest["view_digest"] == before["view_digest"] else "[red]DIGEST CHANGED[/red]"
    out.print(f"{name}: rebuilt {latest['applied_events']} events; {latest['view_digest'][:16]} ({same})")
    return str(latest["view_digest"])


def bootstrap(info: RunInfo, name: str, pilot: str) -> None:
    """Ask `name` to join from `pilot`'s service of the same kind (its funding service when the pilot runs
    none of that kind: the shared views are the same), reading there with an operator token of its own
    pilot."""
    target = next((s for s in info.services if s.name == name), None)
    if target is None:
        fail(f"no service {name!r} in this run: {', '.join(s.name for s in info.services)}")
    offered = {s.service: s for s in info.services if s.pilot == pilot}
    source = offered.get(target.service) or offered.get("funding")
    if source is None or pilot == target.pilot:
        fail(f"{pilot!r} is not another pilot of this run with a service to start {name} from")
    body = {
        "pilot": pilot,
        "url": source.http_url,
        "token": person_token(info.tokens, target.pilot, "operator"),
    }
    with _client(target.http_url, person_token(info.tokens, target.pilot, "admin")) as client:
        answer = client.post("/view/bootstrap", json=body, timeout=600)
    if answer.status_code != 200:
        detail = answer.json().get("detail", answer.text) if answer.content else answer.reason_phrase
        reason = detail.get("reason", detail) if isinstance(detail, dict) else detail
        fail(f"{name}: {reason}; its views replay from the first event instead")
    joined = answer.json()
    out.print(
        f"{name}: joined from {source.name}'s snapshot at stream sequence {joined['position']} "
        f"({joined['applied_events']} events, {joined['rows']} rows), vouched for by "
        f"{', '.join(joined['vouched_by'])}; the tail replays from there"
    )


def _digest(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/view/digest")
    answer.raise_for_status()
    return dict(answer.json())
