"""The French words for codes of the contracts that people read: in notices, on the console's pages."""

from __future__ import annotations

from typing import get_args

from ess_contracts.intake import CorrectableField, CorrectionReason, ProjectStage
from ess_contracts.reference.strategy import PILOT_INFO

PILOT_NAMES: dict[str, str] = {p.code: p.name for p in PILOT_INFO}
PILOT_SHORT_NAMES: dict[str, str] = {"region": "Région", "state": "État", "bdt": "Banque des Territoires"}

STAGES: dict[str, str] = {
    "creation_or_takeover": "création ou reprise",
    "development_or_scale_up": "développement ou changement d'échelle",
    "consolidation": "consolidation",
    "social_innovation": "innovation sociale",
    "collective_project": "projet collectif",
}


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
assert set(PILOT_SHORT_NAMES) == set(PILOT_NAMES), "a pilot without its short name"
assert set(STAGES) == set(get_args(ProjectStage)), "a project stage without its words"
assert set(CORRECTABLE_FIELDS) == set(get_args(CorrectableField)), "a correctable field without its words"
assert set(CORRECTION_REASONS) == set(get_args(CorrectionReason)), "a correction reason without its words"


# Words of the strategy's follow-up and of funding, said the same on the console's pages and in the
# annual report.
SESSION_KINDS = {
    "steering_committee": "comité de pilotage",
    "technical_committee": "comité technique",
    "collective_event": "temps collectif",
}
SESSION_ITEM_KINDS = {"decision": "décision", "recommendation": "recommandation"}
PROGRESS = {
    "not_started": "pas commencée",
    "on_track": "en bonne voie",
    "delayed": "en retard",
    "at_risk": "menacée",
    "done": "réalisée",
}
INSTRUMENTS = {
    "grant": "subvention",
    "loan": "prêt",
    "honour_loan": "prêt d'honneur",
    "repayable_advance": "avance remboursable",
    "guarantee": "garantie",
    "equity": "fonds propres",
    "quasi_equity": "quasi-fonds propres",
}
CHART_SERIES = {  # a report chart's series (its key in GET /charts): its name in the legend
    "submitted": "déposés",
    "qualified": "qualifiés",
    "oriented": "orientés",
    "funded": "financés",
    "requested (EUR)": "demandés",
    "committed (EUR)": "engagés",
    "disbursed (EUR)": "versés",
    "actual": "réalisé",
    "done": "réalisés",
    "overdue": "en retard",
    "upcoming": "à venir",
}
