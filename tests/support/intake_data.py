"""Submissions as a holder sends them (JSON bodies), valid by default, with helpers to break one field."""

from __future__ import annotations

import base64
import copy
from typing import Any

VALID_SIRET = "73282932000074"  # Luhn-valid
OTHER_SIRET = "44180100000007"  # another holder, Luhn-valid
VALID_SIREN = "200067106"  # an EPCI's SIREN, Luhn-valid
PDF = b"%PDF-1.7\n% intake test file\n"
DOCX = b"PK\x03\x04 a zip container standing in for a docx"

CONTACT = {"name": "Camille Durand-Tessier", "email": "camille.durand@example.org", "phone": "06 12 34 56 78"}
DESCRIPTION = "Un tiers-lieu nourricier au coeur du bourg : cantine solidaire, atelier vélo, jardin partagé."


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def submission(
    title: str = "Tiers-lieu de la Loire", siret: str | None = VALID_SIRET, **project: Any
) -> dict[str, Any]:
    """A valid body for POST /projects; `project` overrides fields of the project part."""
    body: dict[str, Any] = {
        "organisation": {
            "name": "La Fabrique Commune",
            "siret": siret,
            "being_created": siret is None,
            "legal_form": "scic",
            "department": "44",
            "epci_siren": VALID_SIREN,
        },
        "contact": dict(CONTACT),
        "project": {
            "title": title,
            "description": DESCRIPTION,
            "stage": "creation_or_takeover",
            "third_place": True,
            "needs": ["funding", "support"],
            "budget": {
                "total": "120000.50",
                "lines": [
                    {"label": "Salaires de l'animatrice", "category": "staff", "amount": 80000},
                    {"label": "Travaux du local", "category": "premises", "amount": "40000.50"},
                ],
            },
            "planned_jobs": 3,
            "start_on": "2026-09-01",
        },
        "attachments": [
            {
                "file_name": "statuts-scic.pdf",
                "kind": "statutes",
                "media_type": "application/pdf",
                "content": b64(PDF),
            }
        ],
    }
    body["project"].update(project)
    return body


def with_value(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the field at dotted `path` set to `value` (`...` removes it)."""
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = changed
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    elif isinstance(node, list) and key == len(node):
        node.append(value)
    else:
        node[key] = value
    return changed


def network(network_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network_id": network_id,
        "name": f"Réseau {network_id}",
        "stages": ["creation_or_takeover", "development_or_scale_up"],
        "needs": ["support", "training"],
        "departments": ["44", "49"],
        "account": f"network-{network_id}",
    }
    body.update(fields)
    return body


# (path in the body, value to set there (... removes it), the field the 422 names, words of its rule)
INVALID_FIELDS: list[tuple[str, Any, str, str]] = [
    ("organisation.siret", "73282932000075", "organisation.siret", "Luhn"),
    ("organisation.siret", "7328293200", "organisation.siret", "14 digits"),
    ("organisation.siret", None, "organisation.siret", "required unless"),
    ("organisation.being_created", True, "organisation.siret", "being created has no SIRET"),
    ("organisation.epci_siren", "200067107", "organisation.epci_siren", "Luhn"),
    ("organisation.epci_siren", "20006710", "organisation.epci_siren", "9 digits"),
    ("organisation.department", "75", "organisation.department", "'44', '49', '53', '72' or '85'"),
    ("organisation.legal_form", "sarl", "organisation.legal_form", "association"),
    ("organisation.esus_agreement", "oui", "organisation.esus_agreement", "boolean"),
    ("organisation.name", "   ", "organisation.name", "at least 1 character"),
    ("organisation.name", "x" * 201, "organisation.name", "at most 200"),
    ("organisation.nickname", "La Fab", "organisation.nickname", "not permitted"),
    ("contact", ..., "contact", "required"),
    ("contact.email", "camille.example.org", "contact.email", "name@domain.tld"),
    ("contact.phone", "12 34", "contact.phone", "phone number"),
    ("contact.name", "y" * 121, "contact.name", "at most 120"),
    ("project.title", "", "project.title", "at least 1 character"),
    ("project.title", "!!! ...", "project.title", "letter or digit"),
    ("project.title", "t" * 201, "project.title", "at most 200"),
    ("project.title", "Tiers\x00lieu", "project.title", "control characters"),
    ("project.description", "d" * 5001, "project.description", "at most 5000"),
    ("project.stage", "growth", "project.stage", "creation_or_takeover"),
    ("project.third_place", "yes", "project.third_place", "boolean"),
    ("project.needs", [], "project.needs", "at least 1 item"),
    ("project.needs", ["funding", "funding"], "project.needs", "distinct"),
    ("project.needs", ["money"], "project.needs.0", "funding"),
    ("project.budget.total", "-1", "project.budget.total", "greater than or equal to 0"),
    ("project.budget.total", "120000.505", "project.budget.total", "2 decimal places"),
    ("project.budget.total", "beaucoup", "project.budget.total", "decimal"),
    ("project.budget.total", "100000", "project.budget.lines", "not the total 100000.00 EUR"),
    ("project.budget.lines", [], "project.budget.lines", "at least 1 item"),
    ("project.budget.lines.0.amount", -5, "project.budget.lines.0.amount", "greater than or equal to 0"),
    ("project.budget.lines.1.code", "L1", "project.budget.lines", "codes must be distinct"),
    ("project.budget.lines.0.category", "salaries", "project.budget.lines.0.category", "staff"),
    ("project.planned_jobs", -1, "project.planned_jobs", "greater than or equal to 0"),
    ("project.planned_jobs", 2.5, "project.planned_jobs", "integer"),
    ("project.planned_jobs", "3", "project.planned_jobs", "integer"),
    ("project.start_on", "2026-02-30", "project.start_on", "day value is outside expected range"),
    ("project.start_on", "01/09/2026", "project.start_on", "YYYY-MM-DD"),
    ("project.start_on", 1788220800, "project.start_on", "YYYY-MM-DD"),
    ("project.start_on", "1999-12-31", "project.start_on", "between 2000-01-01 and 2100-12-31"),
    ("attachments.0.media_type", "image/png", "attachments.0.media_type", "application/pdf"),
    ("attachments.0.content", "not base64 !", "attachments.0.content", "not valid base64"),
    ("attachments.0.content", b64(b"hello"), "attachments.0.content", "not a application/pdf document"),
    ("attachments.0.content", "", "attachments.0.content", "not empty"),
    ("attachments.0.file_name", "../statuts.pdf", "attachments.0.file_name", "no path"),
    ("attachments.0.kind", "photo", "attachments.0.kind", "statutes"),
    (
        "attachments.1",
        {"file_name": "copie.pdf", "kind": "other", "media_type": "application/pdf", "content": b64(PDF)},
        "attachments",
        "attached twice",
    ),
]
