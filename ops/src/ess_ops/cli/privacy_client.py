"""`ess privacy export` and `erase`: ask the intake holding a person's files for all it holds about them,
or to erase it, then follow every service until each shows the destroyed texts erased in its copy of the
project view: their acknowledgement."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ess_ops.cli.console import fail, note
from ess_ops.cli.intake_display import show_errors
from ess_ops.cli.targets import Endpoint

ACK_WAIT_S = 60.0


def running_readers(state_dir: Path) -> list[tuple[str, Endpoint]]:
    """Every service of the running `ess up`, each with its own pilot's instructor (a reader of the view)."""
    from ess_ops.cli import runfile
    from ess_ops.cli.targets import person_token

    try:
        info = runfile.load(state_dir / "run.json")
    except runfile.RunFileError as exc:
        fail(str(exc))
    instructor = {s.pilot: person_token(info.tokens, s.pilot, "instructor") for s in info.services}
    return [(s.name, Endpoint(s.http_url, instructor[s.pilot])) for s in info.services]


def export(target: Endpoint, subject: str, out: Path | None) -> int:
    with target.client() as client:
        answer = client.post("/privacy/export", json={"subject": subject})
    if answer.status_code != 200:
        show_errors(answer.status_code, answer.json())
        return 1
    text = json.dumps(answer.json(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
        note(f"{out}: {len(answer.json()['projects'])} project(s) held about this person")
    return 0


def erase(target: Endpoint, subject: str, readers: list[tuple[str, Endpoint]], as_json: bool) -> int:
    with target.client() as client:
        answer = client.post("/privacy/erasure", json={"subject": subject})
    if answer.status_code != 200:
        show_errors(answer.status_code, answer.json())
        return 1
    done = answer.json()
    acknowledged = {p["project_id"]: acknowledgements(p["project_id"], readers) for p in done["projects"]}
    if as_json:
        print(json.dumps({**done, "acknowledged_by": acknowledged}, indent=2, ensure_ascii=False))
    else:
        show(done, acknowledged, len(readers))
    return 0 if all(len(names) == len(readers) for names in acknowledged.values()) else 1


def acknowledgements(project_id: str, readers: list[tuple[str, Endpoint]]) -> list[str]:
    """The services whose view shows the project's title erased, waiting up to ACK_WAIT_S for each."""
    deadline = time.monotonic() + ACK_WAIT_S
    acknowledged = []
    for name, endpoint in readers:
        while not _erased_at(endpoint, project_id) and time.monotonic() < deadline:
            time.sleep(0.25)
        if _erased_at(endpoint, project_id):
            acknowledged.append(name)
    return acknowledged


def _erased_at(endpoint: Endpoint, project_id: str) -> bool:
    with endpoint.client() as client:
        answer = client.get(f"/projects/{project_id}/view")
    view: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
    requested = bool(view.get("erasure_requests"))  # the request reached this service's view...
    return requested and view.get("own_keys_left") == 0 and bool(view["record"]["title_erased"])  # ...done


def show(done: dict[str, Any], acknowledged: dict[str, list[str]], services: int) -> None:
    note(f"erasure {done['request_id']} on {done['erased_on']}: {len(done['projects'])} project(s)")
    for p in done["projects"]:
        keys = ", ".join(p["destroyed_keys"]) or "none"
        names = acknowledged[p["project_id"]]
        note(f"  {p['project_id']}: keys destroyed {keys}; emptied at intake: {', '.join(p['erased'])}")
        if services:
            note(f"    acknowledged by {len(names)}/{services}: {', '.join(names) or '-'}")
