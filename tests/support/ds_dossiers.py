"""Dossiers of démarche 84731 (deploy/ds-mappings/84731-appel-a-projets-ess.toml) as DS's API gives them:
associations and cooperatives of the Pays de la Loire, champs with DS's labels and types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ess_contracts.identifiers import luhn_valid

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "deploy" / "ds-mappings" / "84731-appel-a-projets-ess.toml"
DEMARCHE = 84731

STRUCTURES = [
    ("Association Les Jardins de l'Erdre", "Association loi 1901"),
    ("SCOP Atelier du Bocage", "SCOP"),
    ("Ressourcerie des Mauges", "Association loi 1901"),
    ("SCIC Énergies citoyennes du Maine", "SCIC"),
    ("Coopérative d'activité Oxalis Sarthe", "Coopérative d'activité et d'emploi"),
    ("Association Vélo Cité Laval", "Association loi 1901"),
]
ACTIVITIES = [
    "Recyclerie solidaire",
    "Épicerie coopérative",
    "Atelier vélo",
    "Café associatif",
    "Cantine bio",
]
TOWNS = [("Clisson", "44"), ("Cholet", "49"), ("Mayenne", "53"), ("La Flèche", "72"), ("Luçon", "85")]
DEPARTMENTS = {
    "44": "Loire-Atlantique",
    "49": "Maine-et-Loire",
    "53": "Mayenne",
    "72": "Sarthe",
    "85": "Vendée",
}

# label -> DS descriptor typename, in the démarche's order; a section title and a notice as DS has them.
FORM: list[tuple[str, str]] = [
    ("Statut juridique de la structure", "DropDownListChampDescriptor"),
    ("La structure détient-elle l'agrément ESUS ?", "YesNoChampDescriptor"),
    ("Département du siège", "DepartementChampDescriptor"),
    ("Nom et prénom de la personne référente", "TextChampDescriptor"),
    ("Courriel de la personne référente", "EmailChampDescriptor"),
    ("Téléphone de la personne référente", "PhoneChampDescriptor"),
    ("Intitulé du projet", "TextChampDescriptor"),
    ("Présentation du projet", "TextareaChampDescriptor"),
    ("Stade du projet", "DropDownListChampDescriptor"),
    ("Le projet est-il porté par un tiers-lieu ?", "YesNoChampDescriptor"),
    ("Besoins d'accompagnement", "MultipleDropDownListChampDescriptor"),
    ("Budget prévisionnel total (€)", "DecimalNumberChampDescriptor"),
    ("Dépenses de personnel (€)", "DecimalNumberChampDescriptor"),
    ("Achats et prestations (€)", "DecimalNumberChampDescriptor"),
    ("Investissements (€)", "DecimalNumberChampDescriptor"),
    ("Nombre d'emplois créés ou maintenus", "IntegerNumberChampDescriptor"),
    ("Date de démarrage prévue", "DateChampDescriptor"),
    ("Numéro RNA ou observations", "TextChampDescriptor"),
]


def descriptors() -> list[dict[str, Any]]:
    return [{"__typename": t, "id": f"Q2hhbXAt{i}", "label": label} for i, (label, t) in enumerate(FORM)]


def siret(seed: int) -> str:
    """A Luhn-valid SIRET of its own for each seed."""
    stem = f"{seed:013d}"[-13:]
    return next(stem + k for k in "0123456789" if luhn_valid(stem + k))


def champ(typename: str, label: str, value: Any) -> dict[str, Any]:
    """A champ as DS answers it: its text, and its typed value under DS's field name for its type."""
    text = None if value is None else ", ".join(value) if isinstance(value, list) else str(value)
    found: dict[str, Any] = {
        "__typename": typename,
        "id": f"champ-{label}",
        "label": label,
        "stringValue": text,
    }
    if typename == "DateChamp":
        found["date"] = value
    elif typename == "MultipleDropDownListChamp":
        found["values"] = value or []
    elif typename == "DepartementChamp":
        found["departement"] = value and {"code": value, "name": DEPARTMENTS.get(value, "?")}
        found["stringValue"] = value and f"{value} – {DEPARTMENTS.get(value, '?')}"
    elif typename == "YesNoChamp":
        found["value"] = value
        found["stringValue"] = {True: "Oui", False: "Non"}.get(value)
    else:
        found["value"] = value
    return found


def dossier(
    number: int,
    *,
    state: str = "en_construction",
    modified: str | None = None,
    changes: dict[str, Any] | None = None,
    demandeur_siret: str | None = None,
) -> dict[str, Any]:
    """Dossier `number`, filed in February 2026; `changes` replaces champ values by label."""
    name, legal_form = STRUCTURES[number % len(STRUCTURES)]
    town, department = TOWNS[number % len(TOWNS)]
    title = f"{ACTIVITIES[number % len(ACTIVITIES)]} de {town} n° {number}"
    staff, purchases, investment = 24000.0 + number, 8500.5, 12000.0
    values: dict[str, Any] = {
        "Statut juridique de la structure": legal_form,
        "La structure détient-elle l'agrément ESUS ?": number % 3 == 0,
        "Département du siège": department,
        "Nom et prénom de la personne référente": "Camille Le Goff",
        "Courriel de la personne référente": f"contact{number}@ess-paysdelaloire.example.org",
        "Téléphone de la personne référente": "02 40 12 34 56",
        "Intitulé du projet": title,
        "Présentation du projet": f"{title} : un lieu ouvert à tous, porté par des bénévoles.",
        "Stade du projet": "Création ou reprise" if number % 2 else "Consolidation",
        "Le projet est-il porté par un tiers-lieu ?": number % 4 == 0,
        "Besoins d'accompagnement": ["Financement", "Accompagnement"],
        "Budget prévisionnel total (€)": staff + purchases + investment,
        "Dépenses de personnel (€)": staff,
        "Achats et prestations (€)": purchases,
        "Investissements (€)": investment,
        "Nombre d'emplois créés ou maintenus": str(2 + number % 5),
        "Date de démarrage prévue": "2026-09-01",
        "Numéro RNA ou observations": None,
    }
    values.update(changes or {})
    types = {label: t.removesuffix("Descriptor") for label, t in FORM}
    types.update(
        {label: "TextChamp" for label, t in FORM if t in ("EmailChampDescriptor", "PhoneChampDescriptor")}
    )
    types["Présentation du projet"] = "TextChamp"
    filed = f"2026-02-{1 + number % 27:02d}T09:{number % 60:02d}:00+01:00"
    return {
        "id": f"RG9zc2llci0{number}",
        "number": number,
        "state": state,
        "dateDepot": filed,
        "dateDerniereModification": modified or filed,
        "demandeur": {
            "__typename": "PersonneMorale",
            "id": f"demandeur-{number}",
            "siret": demandeur_siret or siret(4400000000000 + number),
            "entreprise": {"siren": "", "raisonSociale": f"{name} ({number})"},
            "association": None,
        },
        "champs": [champ(types[label], label, values[label]) for label, _ in FORM],
    }


def demarche(count: int) -> dict[str, Any]:
    """The démarche as the local DS server holds it, with dossiers 1..count."""
    return {
        "title": "Appel à projets « Entreprendre autrement » 2026",
        "descriptors": descriptors(),
        "dossiers": {n: dossier(n) for n in range(1, count + 1)},
        "deleted": [],
    }
