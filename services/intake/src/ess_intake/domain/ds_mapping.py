"""How one démarche of Démarches Simplifiées (DS) fills intake's submission: a TOML file per démarche,
read and checked once, at load time, so a typo or a type that cannot fit is an error naming the field
before any dossier is read. Whether each label exists on the démarche, with that type, is checked
against the démarche's own descriptors at the start of every run (`against_demarche`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ess_contracts.intake import BudgetCategory, LegalForm, Need, ProjectStage

DsType = Literal[
    "text",
    "textarea",
    "email",
    "phone",
    "integer_number",
    "decimal_number",
    "date",
    "checkbox",
    "yes_no",
    "drop_down_list",
    "multiple_drop_down_list",
    "departements",
    "siret",
]
"""DS's own names of field types (its `TypeDeChamp`), as a démarche's administrator sees them."""

_NAMES: dict[DsType, str] = {
    **{t: "".join(w.title() for w in t.split("_")) for t in get_args(DsType)},
    "departements": "Departement",
}
DESCRIPTOR_TYPENAMES: dict[DsType, str] = {t: f"{name}ChampDescriptor" for t, name in _NAMES.items()}
"""`integer_number` is described as an `IntegerNumberChampDescriptor`, and so on."""
CHAMP_TYPENAMES: dict[DsType, str] = {
    **{t: f"{name}Champ" for t, name in _NAMES.items()},
    "textarea": "TextChamp",  # DS answers long text, e-mail and phone as plain text champs
    "email": "TextChamp",
    "phone": "TextChamp",
}

Kind = Literal["text", "bool", "choice", "choices", "department", "euros", "integer", "date"]
TEXT_TYPES: tuple[DsType, ...] = ("text", "textarea", "email", "phone", "siret", "drop_down_list")
ACCEPTS: dict[Kind, tuple[DsType, ...]] = {
    "text": TEXT_TYPES,
    "bool": ("checkbox", "yes_no"),
    "choice": ("drop_down_list",),
    "choices": ("multiple_drop_down_list",),
    "department": ("departements", "drop_down_list", "text"),
    "euros": ("decimal_number", "integer_number"),
    "integer": ("integer_number",),
    "date": ("date",),
}
"""Which DS types can fill each kind of submission field: anything else is a type mismatch."""

TARGETS: dict[str, Kind] = {
    "organisation.name": "text",
    "organisation.being_created": "bool",
    "organisation.siret": "text",
    "organisation.rna": "text",
    "organisation.legal_form": "choice",
    "organisation.esus_agreement": "bool",
    "organisation.department": "department",
    "organisation.epci_siren": "text",
    "contact.name": "text",
    "contact.email": "text",
    "contact.phone": "text",
    "project.title": "text",
    "project.description": "text",
    "project.stage": "choice",
    "project.third_place": "bool",
    "project.needs": "choices",
    "project.budget.total": "euros",
    "project.planned_jobs": "integer",
    "project.start_on": "date",
}
"""The submission's fields a mapping fills, dotted as in intake's 422s; budget lines are listed apart."""
OPTIONAL = frozenset(
    {
        "organisation.being_created",
        "organisation.rna",
        "organisation.esus_agreement",
        "organisation.epci_siren",
    }
)
CHOICES: dict[str, tuple[str, ...]] = {
    "organisation.legal_form": get_args(LegalForm),
    "project.stage": get_args(ProjectStage),
    "project.needs": get_args(Need),
}


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FromChamp(_Closed):
    """A field of the dossier, by its label on the démarche and its DS type."""

    champ: Annotated[str, Field(min_length=1)]
    type: DsType
    values: dict[str, str] | None = Field(None, description="choice lists: the option on DS -> intake's word")


class FromDemandeur(_Closed):
    """What DS knows of the organisation that filed the dossier (its SIRET, its registered name)."""

    demandeur: Literal["siret", "raison_sociale"]


class Fixed(_Closed):
    """The same value for every dossier of the démarche (it asks only associations, say)."""

    value: str | bool | int | list[str]


Source = FromChamp | FromDemandeur | Fixed


class BudgetLine(_Closed):
    champ: Annotated[str, Field(min_length=1)]
    type: Literal["decimal_number", "integer_number"]
    category: BudgetCategory
    label: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="the line's label in intake (default: the champ's label)"
    )


class DemarcheMapping(_Closed):
    demarche: Annotated[int, Field(gt=0)]
    title: str = ""
    fields: dict[str, Source]
    budget_lines: Annotated[tuple[BudgetLine, ...], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _fits_the_submission(self) -> DemarcheMapping:
        problems = [p for target, source in self.fields.items() for p in _problems(target, source)]
        missing = sorted(set(TARGETS) - OPTIONAL - set(self.fields))
        if missing and "organisation.siret" in missing and "organisation.being_created" in self.fields:
            missing.remove("organisation.siret")
        problems += [f"{target}: required, not mapped" for target in missing]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def champs(self) -> list[tuple[str, str, DsType]]:
        """(target, label, type) of every field read from a champ, budget lines included."""
        found = [(t, s.champ, s.type) for t, s in self.fields.items() if isinstance(s, FromChamp)]
        return found + [(f"budget line {b.category}", b.champ, b.type) for b in self.budget_lines]


def _problems(target: str, source: Source) -> list[str]:
    kind = TARGETS.get(target)
    if kind is None:
        return [f"{target}: not a field of intake's submission (one of {', '.join(TARGETS)})"]
    if isinstance(source, FromChamp):
        return _champ_problems(target, kind, source)
    if isinstance(source, FromDemandeur):
        return [] if kind == "text" else [f"{target}: the demandeur gives text, this field is {kind}"]
    return _fixed_problems(target, kind, source.value)


def _champ_problems(target: str, kind: Kind, source: FromChamp) -> list[str]:
    where = f"{target} (champ {source.champ!r})"
    if source.type not in ACCEPTS[kind]:
        return [
            f"{where}: type mismatch, a {source.type} cannot give {kind}; use {' or '.join(ACCEPTS[kind])}"
        ]
    allowed = CHOICES.get(target)
    if allowed is None:
        return [] if source.values is None else [f"{where}: `values` is only for choice fields"]
    if not source.values:
        return [f"{where}: a choice list needs `values`, each DS option to one of {', '.join(allowed)}"]
    wrong = sorted(v for v in source.values.values() if v not in allowed)
    return [f"{where}: {', '.join(wrong)} not among {', '.join(allowed)}"] if wrong else []


def _fixed_problems(target: str, kind: Kind, value: object) -> list[str]:
    expected: dict[Kind, type] = {"bool": bool, "choices": list, "integer": int}
    if not isinstance(value, expected.get(kind, str)) or (kind == "integer" and isinstance(value, bool)):
        return [f"{target}: the fixed value {value!r} does not fit a {kind} field"]
    allowed = CHOICES.get(target)
    chosen = value if isinstance(value, list) else [value]
    if allowed is not None and any(v not in allowed for v in chosen):
        return [f"{target}: the fixed value {value!r} is not among {', '.join(allowed)}"]
    return []


def against_demarche(mapping: DemarcheMapping, descriptors: list[tuple[str, str]]) -> list[str]:
    """What the mapping names that the démarche, as DS describes it now, lacks or types otherwise."""
    found = {label: typename for typename, label in descriptors}
    problems = []
    for target, label, ds_type in mapping.champs():
        if label not in found:
            problems.append(f"{target}: unknown field label {label!r} on démarche {mapping.demarche}")
        elif found[label] != DESCRIPTOR_TYPENAMES[ds_type]:
            problems.append(f"{target}: type mismatch, {label!r} is a {found[label]} on DS, not {ds_type}")
    return problems


class MappingError(ValueError):
    """A mapping file that cannot be used, with every reason, each naming its field."""


def load_mapping(path: Path) -> DemarcheMapping:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MappingError(f"{path}: {error}") from error
    return parse_mapping(raw, str(path))


def parse_mapping(raw: dict[str, Any], origin: str) -> DemarcheMapping:
    """The mapping, or a `MappingError` naming `origin` and every field that is wrong."""
    try:
        return DemarcheMapping.model_validate(raw)
    except ValidationError as error:
        reasons = [f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in error.errors()]
        raise MappingError(
            f"{origin}: " + "; ".join(r.replace("Value error, ", "") for r in reasons)
        ) from None


def load_mappings(directory: Path) -> dict[int, DemarcheMapping]:
    """Every `*.toml` of the directory, one démarche each."""
    found: dict[int, DemarcheMapping] = {}
    for path in sorted(directory.glob("*.toml")):
        mapping = load_mapping(path)
        if mapping.demarche in found:
            raise MappingError(f"{path}: démarche {mapping.demarche} is mapped twice")
        found[mapping.demarche] = mapping
    return found
