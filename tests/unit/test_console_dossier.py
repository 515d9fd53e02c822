"""The holder's form read into intake's body: what intake's own validation accepts, each of its field
rules said in French and named at the input that was typed; a file intake holds as the correction form's
first values."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from starlette.datastructures import FormData

from ess_console import dossier_labels
from ess_console.dossier import DossierForm, Upload, prefill, read_dossier, rows_of
from ess_intake.domain.submission import Correction, Submission

PDF = b"%PDF-1.7\n% a holder's statutes\n"
TYPED = {
    "organisation-name": "La Fabrique Commune",
    "organisation-legal_form": "association",
    "organisation-siret": "732 829 320 00074",
    "organisation-rna": "W442001234",
    "organisation-department": "49",
    "organisation-epci_siren": "",
    "contact-name": "Camille Durand",
    "contact-email": "camille@example.org",
    "contact-phone": "06 12 34 56 78",
    "project-title": "Épicerie du bourg",
    "project-description": "Une épicerie coopérative.",
    "project-stage": "creation_or_takeover",
    "project-third_place": "oui",
    "project-planned_jobs": "2",
    "project-start_on": "2026-09-01",
    **{
        f"project-budget-lines-{n}-{leaf}": ""
        for n in range(1, 6)
        for leaf in ("label", "category", "amount")
    },
    "project-budget-lines-1-label": "Salaires",
    "project-budget-lines-1-category": "staff",
    "project-budget-lines-1-amount": "12 500,50",
    "project-budget-lines-3-label": "Étagères",
    "project-budget-lines-3-category": "equipment",
    "project-budget-lines-3-amount": "2 000",
}


def form(**changed: str) -> FormData:
    return FormData(
        [*{**TYPED, **changed}.items(), ("project-needs", "funding"), ("project-needs", "premises")]
    )


def test_a_filled_form_is_a_submission_intake_accepts() -> None:
    statutes = Upload("attachments-statutes", "statuts.pdf", "application/pdf", PDF)
    reading = read_dossier(form(), [statutes])
    accepted = Submission.model_validate(reading.body)
    assert accepted.project.budget.total == Decimal("14500.50")  # the sum of the lines typed
    assert [line.label for line in accepted.project.budget.lines] == ["Salaires", "Étagères"]
    assert accepted.organisation.siret == "73282932000074" and accepted.organisation.epci_siren is None
    assert accepted.attachments[0].kind == "statutes" and accepted.attachments[0].content == PDF
    assert reading.rows == [1, 3]  # the empty second row is no line


def test_each_refusal_is_named_at_its_input_in_french() -> None:
    reading = read_dossier(form(**{"project-budget-lines-3-amount": "deux mille"}), [])
    refused = {
        "project.budget.lines.1.amount": "Input should be a valid decimal",
        "organisation.siret": "a SIRET is 14 digits",
        "project.needs.0": "Input should be 'funding', ...",
        "body": "something over the whole dossier",
    }
    errors = reading.errors(refused)
    assert errors["project-budget-lines-3-amount"].startswith("Saisissez un montant en euros")
    assert errors["organisation-siret"].startswith("Saisissez le SIRET")
    assert errors["project-needs"] == "Cochez au moins un besoin."
    assert errors["dossier"] == "Le dossier n'est pas accepté : something over the whole dossier"
    with_file = DossierForm({}, [], ["attachments-budget"])
    assert with_file.input_of("add_attachments.0.content") == "attachments-budget"
    assert with_file.errors({"attachments.0.content": "x"})["attachments-budget"].startswith("Ce fichier")


def leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field path of an intake body, indices as `*`, groups and leaves alike."""
    found = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        found.append(path)
        inner = [a for a in _flat(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        many = typing.get_origin(info.annotation) is tuple or any(
            typing.get_origin(a) is tuple for a in _flat(info.annotation)
        )
        for sub in inner:
            found += leaf_paths(sub, f"{path}.*." if many else f"{path}.")
        if many:
            found.append(f"{path}.*")
    return found


def _flat(annotation: Any) -> list[Any]:
    args = get_args(annotation)
    if not args or (
        isinstance(annotation, types.GenericAlias) and typing.get_origin(annotation) is not tuple
    ):
        return [annotation]
    return [annotation, *(a for arg in args for a in _flat(arg))]


@pytest.mark.parametrize("model", [Submission, Correction])
def test_every_field_intake_checks_has_its_rule_in_french(model: type[BaseModel]) -> None:
    paths = {p.replace("add_attachments", "attachments") for p in leaf_paths(model)}
    missing = sorted(p for p in paths if p not in dossier_labels.DOSSIER_ERRORS)
    assert missing == []


def test_the_codes_a_holder_or_network_chooses_have_their_french_words() -> None:
    from ess_contracts.intake import AttachmentKind, DeclineReason, LegalForm, Need, WithdrawalReason

    assert set(dossier_labels.LEGAL_FORMS) == set(get_args(LegalForm))
    assert set(dossier_labels.NEEDS) == set(get_args(Need))
    assert set(dossier_labels.ATTACHMENT_KINDS) == set(get_args(AttachmentKind))
    assert set(dossier_labels.DECLINE_REASONS) == set(get_args(DeclineReason))
    assert set(dossier_labels.WITHDRAWAL_REASONS) == set(get_args(WithdrawalReason))


def test_a_file_intake_holds_fills_the_correction_form_which_reads_back_as_a_correction() -> None:
    held = {
        "organisation": {"name": "La Fabrique", "siret": None, "being_created": True, "legal_form": "scic",
                         "rna": None, "esus_agreement": False, "department": "44", "epci_siren": None},
        "contact": {"name": "Camille", "email": "c@example.org", "phone": "0612345678", "erased_on": None},
        "project": {"title": "Garage", "description": "Un garage solidaire.", "stage": "consolidation",
                    "third_place": False, "needs": ["support"], "planned_jobs": 1, "start_on": "2026-10-01",
                    "budget_total": "80000.00",
                    "budget_lines": [{"code": "L1", "label": "Salaires", "category": "staff",
                                      "amount": "80000.00"}]},
    }  # fmt: skip
    values = prefill(held)
    assert values["project-budget-lines-1-amount"] == "80\u202f000" and values["project-third_place"] == "non"
    assert rows_of(values) == 5
    posted = FormData(
        [*((k, v) for k, v in values.items() if isinstance(v, str)), ("project-needs", "support")]
    )
    corrected = Correction.model_validate(read_dossier(posted, [], correction=True).body)
    assert corrected.project.budget.total == Decimal("80000.00") and corrected.organisation.being_created
