"""The French words for codes of the contracts that people read: in notices, on the console's pages."""

from __future__ import annotations

from typing import get_args

from ess_contracts.intake import CorrectableField, CorrectionReason
from ess_contracts.reference.strategy import PILOT_INFO

PILOT_NAMES: dict[str, str] = {p.code: p.name for p in PILOT_INFO}


def french_euros(cents: int) -> str:
    """Money as French readers write it: 12 500,00 € (a narrow no-break space between thousands)."""
    whole, rest = divmod(int(cents), 100)
    return f"{whole:,}".replace(",", "\u202f") + f",{rest:02d} €"


CORRECTABLE_FIELDS: dict[str, str] = {
    "siret": "le numéro SIRET",
    "legal_form": "la forme juridique",
    "esus_agreement": "l'agrément ESUS",
    "department": "le département",
    "epci_siren": "l'intercommunalité partenaire",
    "title": "le titre du projet",
    "description": "la description du projet",
    "stage": "le stade du projet",
    "third_place": "le caractère de tiers-lieu",
    "needs": "les besoins",
    "budget": "le budget",
    "planned_jobs": "les emplois prévus",
    "start_on": "la date de démarrage",
    "attachments": "les pièces jointes",
    "contact": "la personne à contacter",
}
CORRECTION_REASONS: dict[str, str] = {
    "missing_information": "des informations manquent",
    "invalid_identifier": "un identifiant n'est pas valide",
    "budget_inconsistent": "le budget n'est pas cohérent",
    "missing_attachment": "une pièce jointe manque",
    "other": "autre motif",
}
assert set(CORRECTABLE_FIELDS) == set(get_args(CorrectableField)), "a correctable field without its words"
assert set(CORRECTION_REASONS) == set(get_args(CorrectionReason)), "a correction reason without its words"
