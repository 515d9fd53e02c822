"""A démarche's mapping file is checked when it is loaded, and against the démarche at each run: every
error names the field (intake's, and the champ's label) and the rule it breaks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ess_intake.config import DsConfig
from ess_intake.domain.ds_mapping import (
    DemarcheMapping,
    MappingError,
    against_demarche,
    load_mapping,
    parse_mapping,
)
from tests.support.ds_dossiers import MAPPING, descriptors


def variant(change: dict[str, object]) -> DemarcheMapping:
    """The example mapping with some fields replaced (None removes one)."""
    raw = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    for target, source in change.items():
        if source is None:
            del raw["fields"][target]
        else:
            raw["fields"][target] = source
    return parse_mapping(raw, "84731.toml")


def test_the_example_mapping_loads_and_fits_its_demarche() -> None:
    mapping = load_mapping(MAPPING)
    assert mapping.demarche == 84731
    pairs = [(d["__typename"], d["label"]) for d in descriptors()]
    assert against_demarche(mapping, pairs) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"project.titel": {"champ": "Intitulé du projet", "type": "text"}}, "project.titel: not a field"),
        (
            {"project.planned_jobs": {"champ": "Nombre d'emplois", "type": "text"}},
            'project.planned_jobs (champ "Nombre d\'emplois"): type mismatch, a text cannot give integer',
        ),
        (
            {"project.stage": {"champ": "Stade du projet", "type": "drop_down_list"}},
            "project.stage (champ 'Stade du projet'): a choice list needs `values`",
        ),
        (
            {
                "project.needs": {
                    "champ": "Besoins",
                    "type": "multiple_drop_down_list",
                    "values": {"A": "money"},
                }
            },
            "project.needs (champ 'Besoins'): money not among funding",
        ),
        ({"contact.email": None}, "contact.email: required, not mapped"),
        (
            {"organisation.esus_agreement": {"value": "oui"}},
            "the fixed value 'oui' does not fit a bool field",
        ),
    ],
)
def test_a_mapping_that_cannot_fit_is_refused_naming_the_field(change: dict[str, object], named: str) -> None:
    with pytest.raises(MappingError, match=r"84731\.toml") as refused:
        variant(change)
    assert named in str(refused.value)


def test_a_field_the_demarche_lacks_or_types_otherwise_is_named() -> None:
    mapping = load_mapping(MAPPING)
    renamed = [
        (
            "IntegerNumberChampDescriptor"
            if d["label"] == "Budget prévisionnel total (€)"
            else d["__typename"],
            d["label"],
        )
        for d in descriptors()
        if d["label"] != "Intitulé du projet"
    ]
    assert against_demarche(mapping, renamed) == [
        "project.title: unknown field label 'Intitulé du projet' on démarche 84731",
        "project.budget.total: type mismatch, 'Budget prévisionnel total (€)' is a"
        " IntegerNumberChampDescriptor on DS, not decimal_number",
    ]


def test_intake_will_not_start_on_a_broken_mapping(tmp_path: Path) -> None:
    broken = MAPPING.read_text(encoding="utf-8").replace(
        '[fields."contact.email"]', '[fields."contact.mail"]'
    )
    (tmp_path / "84731.toml").write_text(broken, encoding="utf-8")
    env = {"ESS_INTAKE_DS_MAPPINGS": str(tmp_path), "ESS_INTAKE_DS_TOKEN_FILE": str(tmp_path / "token")}
    with pytest.raises(SystemExit, match=r"contact\.mail: not a field of intake's submission"):
        DsConfig.from_env(env)
    with pytest.raises(SystemExit, match="needs ESS_INTAKE_DS_TOKEN_FILE"):
        DsConfig.from_env({"ESS_INTAKE_DS_MAPPINGS": str(tmp_path)})
    assert DsConfig.from_env({}) is None
