"""`ess funding`: a funding service's plans, agenda and acts, over its HTTP API.

    ess funding plan PROJECT [--pilot P] [--json]     the plan as pilot P's service holds it
    ess funding agenda [--pilot P] [--json]           projects waiting for decisions from two funders or more
    ess funding act KIND PROJECT --data JSON|@FILE|-  record an act of pilot P (KIND: requests, opinions,
        [--acknowledge RULE]...                       cofunders, de-minimis-declarations, decisions,
                                                      commitments, tranches, disbursements, cancellations,
                                                      recoveries); a refusal prints its reason, exit 1
    ess funding pending [--pilot P]                   acts waiting for a second decider (an acknowledged
                                                      over-funding or double funding)
    ess funding approve PENDING_ID [--pilot P]        approve one as the second decider (`ess up`'s
                                                      `<pilot>-second-decider` unless given --as)
    ess undertaking show SIREN [--as-of DATE]         a single undertaking in the de minimis ledger: its
        [--json | --certificate]                      members, aid, ceilings, headroom and verdicts, or
                                                      the French certificate

The service and token come from the running `ess up` (`--state-dir`), acting as the pilot's person of the
role the route needs (an instructor reads and instructs, a decider decides; `--as PERSON` for another), or
from `--url` and `--token-file`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ess_ops.cli.targets import PersonOpt

PilotOpt = Annotated[str, typer.Option("--pilot", help="The pilot whose funding service answers.")]
StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="Where `ess up` keeps its state.")]
UrlOpt = Annotated[
    str | None, typer.Option("--url", help="The funding service; by default the one `ess up` runs.")
]
TokenOpt = Annotated[
    Path | None, typer.Option("--token-file", help="A bearer token; by default a person's from `ess up`.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="The service's answer, as JSON.")]

# The funding service's act routes, POST /projects/{id}/{kind}, and the role each needs (its OpenAPI
# document lists them; a unit test holds these to the service's own).
ACT_ROLES = {
    "requests": "instructor",
    "opinions": "instructor",
    "cofunders": "instructor",
    "de-minimis-declarations": "instructor",
    "decisions": "decider",
    "commitments": "decider",
    "tranches": "instructor",
    "disbursements": "instructor",
    "cancellations": "decider",
    "recoveries": "decider",
}
ACT_KINDS = tuple(ACT_ROLES)


def register(app: typer.Typer) -> None:
    """Add this service's commands to `ess`. Keep imports inside the commands: `ess` starts fast."""
    funding = typer.Typer(no_args_is_help=True, help="A pilot's funding acts, the shared plans, the agenda.")
    funding.command("plan")(plan_command)
    funding.command("agenda")(agenda_command)
    funding.command("act")(act_command)
    funding.command("pending")(pending_command)
    funding.command("approve")(approve_command)
    app.add_typer(funding, name="funding")
    undertaking = typer.Typer(no_args_is_help=True, help="The de minimis ledger of a single undertaking.")
    undertaking.command("show")(undertaking_command)
    app.add_typer(undertaking, name="undertaking")


def plan_command(
    project_id: str,
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The funding plan of a project: status, totals and every breach, with its rule, window and figures."""
    from ess_ops.cli.console import note
    from ess_views.funding_plan.verdict import euros

    answer = call_funding("GET", f"/projects/{project_id}/plan", pilot, state_dir, url, token_file)
    if as_json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return
    status = answer["status"]
    eligible = status["eligible_total"]
    note(f"{project_id}: {status['status']}; funded {euros(status['funded'])}")
    note(f"  eligible budget {euros(eligible) if eligible is not None else '(no opinion yet)'}")
    for verdict in answer["verdicts"]:
        note(f"  {verdict['message']}")
    for verdict in answer.get("undertaking_verdicts", []):
        note(f"  across the undertaking's projects: {verdict['message']}")
    note(f"  plan digest {answer['digest']}")


def agenda_command(
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The funders' committee agenda: projects waiting for two funders or more, and what each waits for."""
    from ess_ops.cli.console import note
    from ess_views.funding_plan.verdict import euros

    answer = call_funding("GET", "/agenda", pilot, state_dir, url, token_file)
    if as_json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return
    for project in answer["projects"]:
        note(f"{project['project_id']} {project['title'] or ''}".rstrip())
        for funder in project["waiting"]:
            pending = ", ".join(
                f"{p['act']} {euros(p['amount'])} since {p['since']}" for p in funder["pending"]
            )
            note(f"  {funder['funder']}: {pending}")


def pending_command(
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
) -> None:
    """Acts of this pilot waiting for a second decider."""
    answer = call_funding("GET", "/pending-acts", pilot, state_dir, url, token_file)
    print(json.dumps(answer, indent=2, ensure_ascii=False))


def approve_command(
    pending_id: str,
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    person: PersonOpt = None,
) -> None:
    """Approve a held act as the pilot's second decider: it is recorded with the signed acknowledgement."""
    path = f"/pending-acts/{pending_id}/approval"
    second = person or f"{pilot}-second-decider"
    answer = call_funding("POST", path, pilot, state_dir, url, token_file, role="decider", person=second)
    print(json.dumps(answer, indent=2, ensure_ascii=False))


def undertaking_command(
    siren: str,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The date to read at (YYYY-MM-DD).")] = None,
    certificate: Annotated[
        bool, typer.Option("--certificate", help="The de minimis certificate, in French.")
    ] = False,
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where a SIREN's single undertaking stands: each ceiling, the aid counted, the headroom, verdicts."""
    from ess_ops.cli.console import note
    from ess_views.funding_plan.verdict import euros

    query = f"?as_of={as_of}" if as_of else ""
    path = f"/undertakings/{siren}{'/certificate' if certificate else ''}{query}"
    answer = call_funding("GET", path, pilot, state_dir, url, token_file)
    if certificate or as_json:
        print(answer if certificate else json.dumps(answer, indent=2, ensure_ascii=False))
        return
    note(f"{siren} on {answer['as_of']}: single undertaking {' + '.join(answer['members'])}")
    for ceiling in answer["ceilings"]:
        window = f"{ceiling['window_from']} to {ceiling['window_to']}"
        note(
            f"  {ceiling['regulation']} ({ceiling['scope']}), {window}: {euros(ceiling['total_cents'])}"
            f" of {euros(ceiling['limit_cents'])}, {euros(ceiling['headroom_cents'])} left"
        )
    for aid in answer["aids"]:
        cents = euros(aid["gross_grant_equivalent_cents"])
        note(f"  {aid['legal_right_on']} {aid['act']} {aid['recipient_siren']} {cents}")
    for verdict in answer["verdicts"]:
        note(f"  {verdict['message']}")


def act_command(
    kind: str,
    project_id: str,
    data: Annotated[str, typer.Option("--data", help="The act's fields as JSON, @FILE or - (stdin).")],
    acknowledge: Annotated[
        list[str] | None, typer.Option("--acknowledge", help="over_funding or double_funding.")
    ] = None,
    pilot: PilotOpt = "region",
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    person: PersonOpt = None,
) -> None:
    """Record an act of this pilot; the service checks it against its plan first."""
    from ess_ops.cli.console import fail

    if kind not in ACT_KINDS:
        fail(f"unknown act {kind!r}; acts are {', '.join(ACT_KINDS)}")
    text = sys.stdin.read() if data == "-" else Path(data[1:]).read_text() if data.startswith("@") else data
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"--data is not JSON: {exc}")
    if acknowledge:
        body["acknowledge"] = acknowledge
    path = f"/projects/{project_id}/{kind}"
    answer = call_funding(
        "POST", path, pilot, state_dir, url, token_file, body, role=ACT_ROLES[kind], person=person
    )
    print(json.dumps(answer, indent=2, ensure_ascii=False))


def call_funding(
    method: str,
    path: str,
    pilot: str,
    state_dir: Path,
    url: str | None,
    token_file: Path | None,
    body: Any = None,
    *,
    role: str = "instructor",
    person: str | None = None,
) -> Any:
    import httpx

    from ess_ops.cli.console import fail
    from ess_ops.cli.targets import endpoint

    target = endpoint(state_dir, pilot, "funding", url, token_file, role=role, person=person)
    try:
        with target.client(timeout=30) as client:
            answer = client.request(method, path, json=body)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {target.url}: {exc}")
    if answer.status_code >= 400:
        detail = (
            answer.json().get("detail") if answer.headers.get("content-type") == "application/json" else None
        )
        reason = detail.get("reason") if isinstance(detail, dict) else detail or answer.text
        fail(f"{answer.status_code} {detail.get('error', '') if isinstance(detail, dict) else ''}: {reason}")
    return answer.text if answer.headers.get("content-type", "").startswith("text/plain") else answer.json()
