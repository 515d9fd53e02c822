"""A DS dossier through its démarche's mapping: intake's submission, or the reasons it does not map, in
French for the staff who read `ess intake import-ds --report`, each naming the champ and the rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from ess_intake.domain.ds_dossier import Champ, Dossier
from ess_intake.domain.ds_mapping import (
    CHAMP_TYPENAMES,
    BudgetLine,
    DemarcheMapping,
    FromChamp,
    FromDemandeur,
    Source,
)
from ess_intake.domain.submission import Submission

RULES = {
    "organisation.name": "un nom sur une ligne, de 200 caractères au plus",
    "organisation.siret": "un SIRET de 14 chiffres dont la clé de contrôle est juste",
    "organisation.rna": "un numéro RNA (W suivi de 9 chiffres), pour une association seulement",
    "organisation.legal_form": "une forme juridique de la table de correspondance",
    "organisation.department": "un département de la région (44, 49, 53, 72 ou 85)",
    "organisation.epci_siren": "un SIREN de 9 chiffres dont la clé de contrôle est juste",
    "contact.name": "un nom sur une ligne, de 120 caractères au plus",
    "contact.email": "une adresse électronique de la forme nom@domaine.fr",
    "contact.phone": "un numéro français (10 chiffres) ou international (+ et 8 à 15 chiffres)",
    "project.title": "un intitulé sur une ligne, de 200 caractères au plus, avec au moins une lettre",
    "project.description": "un texte de 5 000 caractères au plus",
    "project.needs": "au moins un besoin, sans doublon",
    "project.budget.total": "un montant en euros, positif, avec deux décimales au plus",
    "project.budget.lines": "au moins une dépense, et leur somme égale au budget total",
    "project.planned_jobs": "un nombre entier entre 0 et 100 000",
    "project.start_on": "une date entre 2000 et 2100",
}
ANY_RULE = "une valeur valide"
DEMANDEUR = {"siret": "Le SIRET du demandeur", "raison_sociale": "La raison sociale du demandeur"}


class NotMapped(Exception):
    """The dossier does not fit the mapping; `reasons` says why, one sentence per champ."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class _Read:
    """One value taken from the dossier, or the sentence that says why it could not be."""

    value: Any = None
    problem: str | None = None


def to_submission(dossier: Dossier, mapping: DemarcheMapping) -> Submission:
    body: dict[str, Any] = {"organisation": {}, "contact": {}, "project": {"budget": {}}}
    problems: list[str] = []
    for target, source in mapping.fields.items():
        read = _read(dossier, target, source)
        if read.problem is not None:
            problems.append(read.problem)
        elif read.value is not None:
            _put(body, target, read.value)
    lines = [_line(dossier, line) for line in mapping.budget_lines]
    problems += [read.problem for read in lines if read.problem is not None]
    body["project"]["budget"]["lines"] = [read.value for read in lines if read.value is not None]
    if problems:
        raise NotMapped(problems)
    try:
        return Submission.model_validate(body)
    except ValidationError as error:
        raise NotMapped(_explain(error, mapping)) from None


def _put(body: dict[str, Any], target: str, value: Any) -> None:
    *path, last = target.split(".")
    node = body
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value


def _read(dossier: Dossier, target: str, source: Source) -> _Read:
    if isinstance(source, FromDemandeur):
        value = dossier.siret if source.demandeur == "siret" else dossier.raison_sociale
        return _Read(value) if value else _Read(problem=f"{DEMANDEUR[source.demandeur]} est absent.")
    if not isinstance(source, FromChamp):
        return _Read(source.value)
    champ = dossier.champs.get(source.champ)
    if champ is None:
        return _Read(problem=f"Le champ « {source.champ} » est absent du dossier.")
    if champ.typename != CHAMP_TYPENAMES[source.type]:
        return _Read(
            problem=f"Le champ « {source.champ} » est un {champ.typename}, "
            f"la correspondance attend {source.type}."
        )
    return _typed(champ, source)


def _typed(champ: Champ, source: FromChamp) -> _Read:
    value = champ.text if champ.value is None or source.type in ("siret", "drop_down_list") else champ.value
    if value in (None, "", []):
        return _Read()  # left out: the submission's own rule says whether it was required
    if source.values is None:
        return _Read(_number(value, source))
    options = value if isinstance(value, list) else [value]
    unknown = [o for o in options if o not in source.values]
    if unknown:
        return _Read(
            problem=f"Le champ « {champ.label} » vaut « {unknown[0]} », absent de la table de correspondance."
        )
    chosen = [source.values[o] for o in options]
    return _Read(chosen if isinstance(value, list) else chosen[0])


def _number(value: Any, source: FromChamp) -> Any:
    """DS gives decimals as JSON floats, read here through their shortest text (1250.5, not 1250.4999...),
    and whole numbers as BigInt, which may travel as text."""
    try:
        if source.type == "decimal_number":
            return Decimal(str(value))
        if source.type == "integer_number":
            return int(value)
    except (InvalidOperation, ValueError):
        pass  # left as it is: the submission's rule names the champ
    return value


def _line(dossier: Dossier, line: BudgetLine) -> _Read:
    read = _read(dossier, "project.budget.lines", FromChamp(champ=line.champ, type=line.type))
    if read.problem is not None or read.value is None:
        return read
    return _Read({"label": line.label or line.champ, "category": line.category, "amount": read.value})


def _explain(error: ValidationError, mapping: DemarcheMapping) -> list[str]:
    reasons: list[str] = []
    for e in error.errors():
        target = ".".join(str(p) for p in e["loc"] if isinstance(p, str))
        if target.startswith("project.budget.lines"):
            target = "project.budget.lines"
        sentence = _sentence(target, e["type"] == "missing", mapping)
        if sentence not in reasons:
            reasons.append(sentence)
    return reasons


def _sentence(target: str, missing: bool, mapping: DemarcheMapping) -> str:
    where = _where(target, mapping)
    total = mapping.fields.get("project.budget.total")
    if target == "project.budget.lines" and not missing and isinstance(total, FromChamp):
        return f"{where} n'est pas valide : la somme des dépenses n'est pas égale au champ « {total.champ} »."
    if missing:
        return f"{where} est vide ; il est obligatoire."
    return f"{where} n'est pas valide : il faut {RULES.get(target, ANY_RULE)}."


def _where(target: str, mapping: DemarcheMapping) -> str:
    """The champ the staff know: its label on the démarche, rather than intake's field."""
    if target == "project.budget.lines":
        return "Le budget (" + ", ".join(f"« {b.champ} »" for b in mapping.budget_lines) + ")"
    source = mapping.fields.get(target)
    if isinstance(source, FromChamp):
        return f"Le champ « {source.champ} »"
    if isinstance(source, FromDemandeur):
        return DEMANDEUR[source.demandeur]
    return f"La valeur fixée pour {target}"
