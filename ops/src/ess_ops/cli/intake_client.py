"""What the intake commands do: find the service and a token, call its HTTP API, print the answer."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx

from ess_ops.cli.console import fail, note
from ess_ops.cli.intake_display import show_errors, show_project_file, show_submitted
from ess_ops.cli.targets import Endpoint


def submit(target: Endpoint, file: Path, key: str | None, as_json: bool) -> int:
    try:
        raw = file.read_bytes()
        body = json.loads(raw)
    except (OSError, ValueError) as exc:
        fail(f"{file}: cannot read a JSON submission: {exc}")
    key = key or f"file-{hashlib.sha256(raw).hexdigest()[:40]}"
    response = _call(target, "POST", "/projects", json=body, headers={"Idempotency-Key": key})
    if as_json:
        print(json.dumps(response.json(), indent=2, ensure_ascii=False))
        return 0 if response.status_code == 201 else 1
    if response.status_code == 201:
        show_submitted(response.json(), target.url, response.headers.get("Idempotent-Replayed") == "true")
        return 0
    show_errors(response.status_code, response.json())
    return 1


def show_file(target: Endpoint, project_id: str, as_json: bool) -> int:
    record = _call(target, "GET", f"/projects/{project_id}")
    if record.status_code != 200:
        show_errors(record.status_code, record.json())
        return 1
    history = _call(target, "GET", f"/projects/{project_id}/history").json()
    if as_json:
        print(json.dumps({"file": record.json(), "history": history}, indent=2, ensure_ascii=False))
    else:
        show_project_file(record.json(), history)
    return 0


def follow_link(target: Endpoint, project_id: str, revoke: bool, as_json: bool) -> int:
    """Issue a new holder link (the previous one stops working), or revoke the current one."""
    answer = _answer(target, "DELETE" if revoke else "POST", f"/projects/{project_id}/follow-link")
    if answer is None:
        return 1
    if as_json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    elif revoke:
        note(f"{project_id}: the holder's link is revoked from {answer['revoked_on']}")
    else:
        note(f"{project_id}: {target.url}{answer['follow_link']}  (until {answer['expires_on']})")
    return 0


def access_log(target: Endpoint, project_id: str, as_json: bool) -> int:
    """Every read of the project's personal data, as intake recorded it."""
    entries = _answer(target, "GET", f"/projects/{project_id}/access-log")
    if entries is None:
        return 1
    if as_json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        note(f"{e['read_at']}  {e['reader_pilot']}/{e['reader']}  {', '.join(e['fields'])}")
    if not entries:
        note(f"{project_id}: no read of its personal data recorded")
    return 0


def _answer(target: Endpoint, method: str, path: str) -> Any:
    """The service's JSON answer, or None once its refusal is shown."""
    response = _call(target, method, path)
    if response.status_code != 200:
        show_errors(response.status_code, response.json())
        return None
    return response.json()


def _call(target: Endpoint, method: str, path: str, **kw: Any) -> httpx.Response:
    try:
        with target.client() as client:
            response = client.request(method, path, **kw)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the intake service at {target.url}: {exc}")
    if response.status_code >= 500 or "json" not in response.headers.get("content-type", ""):
        fail(f"{method} {path}: HTTP {response.status_code}: {response.text[:200]}")
    return response


def import_ds(target: Endpoint, demarche: int, wait: bool, as_json: bool) -> int:
    """Ask intake to import the démarche now (or join the run going on), then follow its counts."""
    from rich.markup import escape

    path = f"/imports/ds/{demarche}"
    started = _call(target, "POST", path)
    if started.status_code not in (202, 409):
        show_errors(started.status_code, started.json())
        return 1
    status = started.json() if started.status_code == 202 else _answer(target, "GET", path)
    shown = ""
    while wait and status is not None and status["running"]:
        line = _counts(status["counts"])
        if line != shown and not as_json:
            note(f"démarche {demarche}: {line}")
            shown = line
        time.sleep(DS_POLL_S)
        status = _answer(target, "GET", path)
    if status is None:
        return 1
    if as_json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    else:
        done = "running" if status["running"] else "done" if status["error"] is None else "stopped"
        note(f"démarche {demarche}: {done}, {_counts(status['counts'])}")
        if status["error"]:
            note(escape(f"  why: {status['error']} (the next run resumes from the last page done)"))
        if status["counts"].get("rejected"):
            note(f"  see the rejected dossiers: ess intake import-ds --demarche {demarche} --report")
    return 1 if status["error"] else 0


DS_POLL_S = 1.0
DS_COUNTS = ("read", "imported", "corrected", "withdrawn", "closed", "rejected", "unchanged", "pages")


def _counts(counts: dict[str, int]) -> str:
    named = [f"{counts[k]} {k}" for k in DS_COUNTS if counts.get(k)]
    named += [f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items()) if k not in DS_COUNTS and v]
    return ", ".join(named) or "nothing read yet"


def ds_report(target: Endpoint, demarche: int, as_json: bool) -> int:
    """The dossiers of the démarche that did not map to a submission, and why (in French, for staff)."""
    from rich.markup import escape

    rejected = _answer(target, "GET", f"/imports/ds/{demarche}/rejections")
    if rejected is None:
        return 1
    if as_json:
        print(json.dumps(rejected, indent=2, ensure_ascii=False))
        return 0
    for r in rejected:
        note(escape(f"n° {r['number']} ({r['state']}, modifié le {r['revision']}): {r['reason']}"))
    note(f"démarche {demarche}: {len(rejected)} dossier(s) rejected")
    return 0
