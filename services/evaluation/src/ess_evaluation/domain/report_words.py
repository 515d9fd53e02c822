"""The report's words for its readers, in French, and its cells: each a stable value for the CSV beside
the French text the page shows (money 12 500,50 €, shares 40 %, dates 5 décembre 2026, codes' names).

The conventions are the console's and the notices' (`ess_contracts.reference.labels.french_euros`,
`ess_core.notify.french.french_date`): a narrow no-break space between thousands and before %, a decimal
comma, « 1er » for a month's first day.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from ess_contracts.reference.labels import (
    PILOT_SHORT_NAMES,
    french_euros,
)
from ess_contracts.reference.strategy import DEPARTMENTS, OBJECTIVES, PILOT_INFO
from ess_core.notify.french import french_date
from ess_evaluation.domain.numbers import decimal_text, euros, french_decimal, french_percent
from ess_evaluation.domain.report_model import Cell

__all__ = ["french_date"]

OBJECTIVE_TITLES = {o.code: o.title for o in OBJECTIVES}
DEPARTMENT_NAMES: dict[str, str] = {d.code: d.name for d in DEPARTMENTS}
PILOT_NAMES = {p.code: p.name for p in PILOT_INFO}

COLUMNS = {  # a CSV column's key: its heading on the page
    "figure": "Chiffre",
    "value": "Valeur",
    "objective": "Objectif",
    "title": "Intitulé",
    "actions": "Actions",
    "action": "Action",
    "action title": "Intitulé de l'action",
    "indicator": "Indicateur",
    "kind": "Type",
    "source": "Source",
    "unit": "Unité",
    "direction": "Sens attendu",
    "target": "Cible",
    "actual": "Réalisé",
    "% of target": "% de la cible",
    "status": "Statut",
    "submitted": "Déposés",
    "qualified": "Qualifiés",
    "oriented": "Orientés",
    "funded": "Financés",
    "jobs planned": "Emplois prévus",
    "requested (EUR)": "Demandé (€)",
    "committed (EUR)": "Engagé (€)",
    "disbursed (EUR)": "Versé (€)",
    "targets reached": "Cibles atteintes",
    "targets set": "Cibles fixées",
    "department": "Département",
    "name": "Nom",
    "pilot": "Pilote",
    "actions led": "Actions pilotées",
    "measures counted": "Mesures prises en compte",
    "instrument": "Instrument",
    "project": "Projet",
    "milestone (months)": "Jalon (mois)",
    "first committed on": "Premier engagement le",
    "due on": "Échéance le",
    "state": "Situation",
    "reviewed on": "Suivi réalisé le",
    "still operating": "Toujours en activité",
    "jobs created": "Emplois créés",
    "jobs kept": "Emplois maintenus",
    "held on": "Tenue le",
    "session": "Instance",
    "recorded by": "Enregistrée par",
    "pilots present": "Pilotes présents",
    "item": "Nature",
    "progress": "Avancement",
    "text": "Texte",
}
SUMMARY = {  # a key figure's key (the summary CSV's `figure`): its name on the page
    "submitted": "Projets déposés",
    "qualified": "Projets qualifiés",
    "oriented": "Projets orientés vers un réseau d'accompagnement",
    "funded": "Projets financés",
    "jobs planned": "Emplois prévus",
    "requested (EUR)": "Fonds demandés",
    "committed (EUR)": "Fonds engagés",
    "disbursed (EUR)": "Fonds versés",
    "plans with a favourable opinion": "Plans de financement ayant reçu un avis favorable",
    "plans fully funded": "Plans de financement bouclés",
    "plans fully funded (%)": "Part des plans de financement bouclés",
    "plans over-funded": "Plans de financement surfinancés",
    "projects with a first funding decision": "Projets ayant reçu une première décision de financement",
    "median days to first decision": "Délai médian avant la première décision",
    "reviews due in the year": "Suivis dus dans l'année",
    "steering sessions held": "Instances de pilotage tenues",
    "measures counted": "Mesures prises en compte",
}
INDICATOR_KINDS = {"output": "réalisation", "outcome": "résultat"}
INDICATOR_SOURCES = {"derived": "calculé", "measured": "mesuré"}
DIRECTIONS = {"increase": "hausse", "decrease": "baisse", "maintain": "maintien"}
UNITS = {
    "count": "nombre",
    "EUR": "€",
    "days": "jours",
    "jobs": "emplois",
    "percent": "%",
    "hours": "heures",
}
TARGET_STATUSES = {  # as the console says them
    "reached": "cible atteinte",
    "not reached": "cible non atteinte",
    "no data": "pas encore de donnée",
    "no target": "pas de cible cette année",
}
REVIEW_STATES = {"done": "réalisé", "overdue": "en retard", "upcoming": "à venir"}
YES_NO = {"yes": "oui", "no": "non"}


def word(code: str, words: dict[str, str]) -> Cell:
    """A code in the CSV, its French word on the page (the code itself when it has none)."""
    return Cell(code, words.get(code, code))


def count(n: int) -> Cell:
    return Cell(str(n), french_decimal(Fraction(n), 0))


def money(cents: int) -> Cell:
    return Cell(euros(cents), french_euros(cents))


def number(value: Fraction, places: int, suffix: str = "") -> Cell:
    return Cell(decimal_text(value, places), french_decimal(value, places) + suffix)


def percent(value: Fraction, places: int) -> Cell:
    return Cell(decimal_text(value, places), french_percent(value, places))


def day(d: date) -> Cell:
    return Cell(d.isoformat(), french_date(d))


def department(code: str) -> Cell:
    name = DEPARTMENT_NAMES.get(code)
    return Cell(code, f"{code} — {name}" if name else code)


def pilot(code: str) -> Cell:
    return word(code, PILOT_SHORT_NAMES)


def pilots(codes: tuple[str, ...]) -> Cell:
    return Cell(" ".join(codes), ", ".join(PILOT_SHORT_NAMES.get(c, c) for c in codes))
