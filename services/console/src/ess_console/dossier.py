"""A holder's dossier as a form: read field by field into intake's JSON (files in base64, amounts typed in
euros the French way), intake's refusals named next to the field that was typed, in French; and a file
intake holds as the form's first values, to correct it."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ess_console.acts import cents
from ess_console.dossier_labels import FORM_REFUSED, dossier_error
from ess_console.labels import amount_text

ROWS = 5
"""Budget lines a new form offers; a file to correct gets as many as it has, and one more."""
FILE_INPUTS = ("attachments-statutes", "attachments-budget", "attachments-other")
"""One file input per kind of attachment: the input names the kind."""
MANY = ("project-needs", "remove_attachments")
YES = "oui"


@dataclass(frozen=True)
class Upload:
    """A file the browser sent (multipart), from one of the form's file inputs."""

    field: str
    file_name: str
    media_type: str
    content: bytes

    def attachment(self) -> dict[str, str]:
        return {
            "file_name": self.file_name,
            "kind": self.field.removeprefix("attachments-"),
            "media_type": self.media_type,
            "content": base64.b64encode(self.content).decode("ascii"),
        }


def media_type(declared: str | None, file_name: str) -> str:
    """The browser's type, or the one its name suggests when the browser did not know (intake checks the
    first bytes against it either way)."""
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


@dataclass
class DossierForm:
    """The body sent to intake, and where each of its parts was typed: the form's row of each budget line,
    the file input of each file."""

    body: dict[str, Any]
    rows: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def errors(self, refused: Mapping[str, str]) -> dict[str, str]:
        """Intake's refusals (`project.budget.lines.0.amount`: its rule) as the form's fields and their
        rules in French, each field once, in intake's order."""
        named: dict[str, str] = {}
        for path, message in refused.items():
            if any(other.startswith(f"{path}.") for other in refused):
                continue  # a group's rule beside one of its fields' (pydantic's length after a bad item)
            french = dossier_error(path) or FORM_REFUSED.format(message)
            named.setdefault(self.input_of(path), french)
        return named

    def input_of(self, path: str) -> str:
        """The form's input (its id) where the field at intake's `path` was typed."""
        parts = path.split(".")
        head, index = parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        if parts[:3] == ["project", "budget", "lines"] and len(parts) > 3:
            leaf = parts[4] if len(parts) > 4 else "label"
            return f"project-budget-lines-{self.rows[int(parts[3])]}-{leaf}"
        if head in ("attachments", "add_attachments"):
            return self.files[index] if index is not None and index < len(self.files) else "attachments"
        group = ".".join(parts[:2]) if parts[:2] in (["project", "budget"], ["project", "needs"]) else path
        return GROUPS.get(group, "-".join(parts))


GROUPS = {
    "body": "dossier",
    "organisation": "organisation-name",
    "contact": "contact-name",
    "project": "project-title",
    "project.budget": "project-budget-lines",
    "project.needs": "project-needs",
    "remove_attachments": "remove_attachments",
}
"""Where a rule over a group of fields is said: its fieldset, or its first field."""


def read_dossier(form: Mapping[str, Any], uploads: list[Upload], *, correction: bool = False) -> DossierForm:
    """The form as intake's body: a submission, or (`correction`) the full corrected dossier with its new
    files and the sent ones to remove. Nothing is judged here: intake's one validation names each field."""
    text = _Texts(form)
    lines, rows = _budget(text)
    total = sum(cents(line["amount"]) or 0 for line in lines)
    body: dict[str, Any] = {
        "organisation": _organisation(text),
        "contact": {name: text(f"contact-{name}") for name in ("name", "email", "phone")},
        "project": {
            "title": text("project-title"),
            "description": text("project-description"),
            "stage": text("project-stage"),
            "third_place": {YES: True, "non": False}.get(text("project-third_place")),
            "needs": [str(n) for n in _all(form, "project-needs")],
            "budget": {"total": _euros(total), "lines": [_line(line) for line in lines]},
            "planned_jobs": int(jobs) if (jobs := text("project-planned_jobs")).isdigit() else jobs,
            "start_on": text("project-start_on"),
        },
    }
    files = [u.attachment() for u in uploads]
    if correction:
        body["add_attachments"] = files
        body["remove_attachments"] = [str(s) for s in _all(form, "remove_attachments")]
    else:
        body["attachments"] = files
    return DossierForm(body, rows, [u.field for u in uploads])


def _organisation(text: _Texts) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": text("organisation-name"),
        "being_created": text("organisation-being_created") == YES,
        "legal_form": text("organisation-legal_form"),
        "esus_agreement": text("organisation-esus_agreement") == YES,
        "department": text("organisation-department"),
    }
    for optional in ("siret", "rna", "epci_siren"):
        if typed := text(f"organisation-{optional}"):
            found[optional] = typed
    return found


def _budget(text: _Texts) -> tuple[list[dict[str, str]], list[int]]:
    """The rows typed in (a row left empty is no line), and the form's row of each."""
    lines, rows, row = [], [], 1
    while text.has(f"project-budget-lines-{row}-label"):
        typed = {leaf: text(f"project-budget-lines-{row}-{leaf}") for leaf in ("label", "category", "amount")}
        if typed["label"] or typed["amount"]:
            lines.append(typed)
            rows.append(row)
        row += 1
    return lines, rows


def _line(typed: dict[str, str]) -> dict[str, Any]:
    amount = cents(typed["amount"])
    return {
        "label": typed["label"],
        "category": typed["category"],
        "amount": typed["amount"] if amount is None else _euros(amount),  # intake names what it cannot read
    }


def _euros(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


class _Texts:
    """A form's text fields, trimmed; a file or an absent field reads as empty."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self.form = form

    def __call__(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def has(self, name: str) -> bool:
        return name in self.form


def _all(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    return list(getlist(name)) if getlist else list(form.get(name) or [])


def shown(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to fill the form again (files cannot be: the browser chooses them)."""
    typed = {str(k): v for k, v in form.items() if isinstance(v, str) and k not in MANY}
    return typed | {name: [str(v) for v in _all(form, name)] for name in MANY}


def prefill(file: Mapping[str, Any]) -> dict[str, Any]:
    """A file intake holds (`ProjectFile`) as the form's values: the holder corrects what was sent."""
    org, contact, project = file["organisation"], file["contact"], file["project"]
    values: dict[str, Any] = {
        f"organisation-{name}": org.get(name) or ""
        for name in ("name", "siret", "legal_form", "rna", "department", "epci_siren")
    }
    values |= {
        f"organisation-{name}": YES if org.get(name) else "" for name in ("being_created", "esus_agreement")
    }
    values |= {f"contact-{name}": contact.get(name) or "" for name in ("name", "email", "phone")}
    values |= {
        f"project-{name}": str(project[name]) for name in ("title", "description", "stage", "start_on")
    }
    values |= {
        "project-third_place": YES if project["third_place"] else "non",
        "project-needs": list(project["needs"]),
        "project-planned_jobs": str(project["planned_jobs"]),
    }
    for row, line in enumerate(project["budget_lines"], start=1):
        prefix = f"project-budget-lines-{row}-"
        values |= {prefix + "label": line["label"], prefix + "category": line["category"]}
        values[prefix + "amount"] = amount_text(_cents(line["amount"]))
    return values


def rows_of(values: Mapping[str, Any]) -> int:
    """How many budget rows the form offers: ROWS, or each line already typed and one more."""
    typed = [int(m.group(1)) for k in values if (m := re.fullmatch(r"project-budget-lines-(\d+)-label", k))]
    return max([ROWS, *(n + 1 for n in typed)])


def _cents(amount: Any) -> int:
    try:
        return int(Decimal(str(amount)) * 100)
    except InvalidOperation:
        return 0
