"""`ess privacy export`, `rectify` and `erase`: ask the intake holding a person's files for all it holds
about them, to correct one field of a file, or to erase them, then follow every service until each shows
the destroyed texts erased in its copy of the project view: their acknowledgement."""

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


def rectify(target: Endpoint, project_id: str, field: str, value: str) -> int:
    """GDPR art. 16: the file as intake holds it, with one field replaced, sent back as a correction
    (`PUT /projects/{id}/dossier`). Intake checks it like any correction; a new title is sealed under a
    new key and the old one destroyed and announced, so the old text is erased everywhere."""
    with target.client() as client:
        answer = client.get(f"/projects/{project_id}")
        if answer.status_code != 200:
            show_errors(answer.status_code, answer.json())
            return 1
        body = correction_of(answer.json())
        part, name = field.split(".")
        body[part][name] = value
        answer = client.put(f"/projects/{project_id}/dossier", json=body)
    if answer.status_code != 200:
        show_errors(answer.status_code, answer.json())
        return 1
    note(f"{project_id}: {field} rectified")
    return 0


ORGANISATION = ("name", "being_created", "siret", "legal_form", "esus_agreement", "department", "epci_siren")
PROJECT = ("title", "description", "stage", "third_place", "needs", "planned_jobs", "start_on")
BUDGET_LINE = ("code", "label", "category", "amount")


def correction_of(file: dict[str, Any]) -> dict[str, Any]:
    """The correction body that leaves the file as it is (`Correction`: files already sent stay)."""
    org, contact, project = file["organisation"], file["contact"], file["project"]
    if contact["erased_on"]:
        fail(f"{file['project_id']}: its contact was erased on {contact['erased_on']}; nothing to rectify")
    lines = [{k: line[k] for k in BUDGET_LINE} for line in project["budget_lines"]]
    return {
        "organisation": {k: org[k] for k in ORGANISATION},
        "contact": {k: contact[k] for k in ("name", "email", "phone")},
        "project": {k: project[k] for k in PROJECT}
        | {"budget": {"total": project["budget_total"], "lines": lines}},
    }


def erase(target: Endpoint, subject: str, readers: list[tuple[str, Endpoint]], as_json: bool) -> int:
    with target.client() as client:
        answer = client.post("/privacy/erasure", json={"subject": subject})
    if answer.status_code != 200:
        show_errors(answer.status_code, answer.json())
        return 1
    done = answer.json()
    views = {p["project_id"]: acknowledgements(p, readers) for p in done["projects"]}
    acknowledged = {project_id: sorted(found) for project_id, found in views.items()}
    held = {
        project_id: {name: view["legal_holds"] for name, view in found.items() if view["legal_holds"]}
        for project_id, found in views.items()
    }
    if as_json:
        answer_ = {**done, "acknowledged_by": acknowledged, "held_by": held}
        print(json.dumps(answer_, indent=2, ensure_ascii=False))
    else:
        show(done, acknowledged, held, len(readers))
    return 0 if all(len(names) == len(readers) for names in acknowledged.values()) else 1


def acknowledgements(
    erased: dict[str, Any], readers: list[tuple[str, Endpoint]]
) -> dict[str, dict[str, Any]]:
    """The views of the services that acknowledged the project's erasure, waiting up to ACK_WAIT_S."""
    deadline = time.monotonic() + ACK_WAIT_S
    acknowledged = {}
    for name, endpoint in readers:
        view = _view(endpoint, erased["project_id"])
        while not _acknowledges(view, erased) and time.monotonic() < deadline:
            time.sleep(0.25)
            view = _view(endpoint, erased["project_id"])
        if _acknowledges(view, erased):
            acknowledged[name] = view
    return acknowledged


def _view(endpoint: Endpoint, project_id: str) -> dict[str, Any]:
    with endpoint.client() as client:
        answer = client.get(f"/projects/{project_id}/view")
    return dict(answer.json()) if answer.status_code == 200 else {}


def _acknowledges(view: dict[str, Any], erased: dict[str, Any]) -> bool:
    """The request reached this service's view, the keys intake destroyed are erased there, and the
    service has no key of its own left for the project but those it keeps by law."""
    if not view.get("erasure_requests") or view.get("own_keys_left") != 0:
        return False
    return set(erased["destroyed_keys"]) <= set(view["erased_keys"])


def show(
    done: dict[str, Any],
    acknowledged: dict[str, list[str]],
    held: dict[str, dict[str, list[dict[str, str]]]],
    services: int,
) -> None:
    note(f"erasure {done['request_id']} on {done['erased_on']}: {len(done['projects'])} project(s)")
    for p in done["projects"]:
        keys = ", ".join(p["destroyed_keys"]) or "none"
        names = acknowledged[p["project_id"]]
        note(f"  {p['project_id']}: keys destroyed {keys}; emptied at intake: {', '.join(p['erased'])}")
        if services:
            note(f"    acknowledged by {len(names)}/{services}: {', '.join(names) or '-'}")
        for name, holds in held[p["project_id"]].items():
            for hold in holds:
                note(f"    kept by law at {name}: {hold['field']} ({hold['reason']})")
