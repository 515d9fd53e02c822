"""What the pages show in French for the codes the services answer with."""

from __future__ import annotations

from typing import Any

from ess_console.dossier_labels import day
from ess_contracts.reference import AXES, OBJECTIVES
from ess_contracts.reference.labels import CORRECTABLE_FIELDS, CORRECTION_REASONS, PILOT_NAMES
from ess_contracts.reference.labels import INSTRUMENTS as INSTRUMENTS  # the pages read labels.X
from ess_contracts.reference.labels import PROGRESS as PROGRESS
from ess_contracts.reference.labels import SESSION_ITEM_KINDS as SESSION_ITEM_KINDS
from ess_contracts.reference.labels import SESSION_KINDS as SESSION_KINDS
from ess_contracts.reference.labels import STAGES as STAGES
from ess_contracts.reference.labels import french_euros as euros

PILOTS = PILOT_NAMES
OBJECTIVE_TITLES: dict[str, str] = {o.code: o.title for o in OBJECTIVES}
STATUSES = {
    "submitted": "déposé",
    "qualified": "qualifié",
    "oriented": "orienté vers un réseau",
    "correction_requested": "corrections demandées",
    "ineligible": "non éligible",
    "withdrawn": "retiré",
    "closed": "clos",
}
DEPARTMENTS = {
    "44": "Loire-Atlantique",
    "49": "Maine-et-Loire",
    "53": "Mayenne",
    "72": "Sarthe",
    "85": "Vendée",
}
OUTCOMES = {"granted": "accordée", "conditional": "accordée sous conditions", "refused": "refusée"}
ROLES = {
    "instructor": "instruction",
    "decider": "décision",
    "operator": "exploitation",
    "admin": "administration",
    "second-decider": "second décideur",
    "holder": "porteur de projet (démonstration)",
    "network": "réseau d'accompagnement (démonstration)",
}


TARGET_STATUS = {
    "reached": "cible atteinte",
    "not_reached": "cible non atteinte",
    "no_data": "pas encore de donnée",
    "no_target": "pas de cible cette année",
}
UNITS = {"count": "", "percent": "\u202f%", "days": " jours"}


def figure(value: int | None, unit: str, scale: int = 0) -> str:
    """An indicator's figure as French readers write it: 12 500,00 €, 60,5 %, 42 jours."""
    if value is None:
        return "—"
    if unit == "cents":
        return euros(value)
    whole = f"{value / 10**scale:,.{scale}f}".replace(",", "\u202f").replace(".", ",")
    return whole + UNITS.get(unit, "")


def by_axis() -> list[tuple[str, list[tuple[str, str]]]]:
    """The strategy's axes in order, each with its objectives (code, title)."""
    return [(axis.title, [(o.code, o.title) for o in OBJECTIVES if o.axis == axis.code]) for axis in AXES]


MODES = {"each": "un courriel à chaque fois", "daily": "un récapitulatif par jour", "off": "aucun avis"}
FIELD_ERRORS = {
    "email": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
    "fields": "Cochez au moins un élément à corriger.",
    "reasons": "Cochez au moins un motif.",
    "answer_by": "Saisissez une date de réponse postérieure à aujourd'hui, au format jj/mm/aaaa.",
    "remark": "Le message compte au plus 2 000 caractères.",
}
REFUSALS = {
    401: "Votre session a pris fin : reconnectez-vous.",
    403: "Votre rôle ne permet pas d'afficher cette page.",
    404: "Cette page n'existe pas, ou plus.",
    503: "Le service est momentanément indisponible : réessayez dans un instant.",
}
APPROVAL_REFUSED = {
    403: "Vous ne pouvez pas approuver cet acte : il faut un second décideur, autre que celui qui l'a "
    "demandé.",
    409: "Cet acte a déjà été approuvé ou n'est plus en attente.",
}
ACTS = {
    "decisions": "décision",
    "commitments": "engagement",
    "tranches": "échéance",
    "disbursements": "versement",
    "cancellations": "annulation",
    "recoveries": "reversement",
}
RULES = {
    "over_funding": "surfinancement",
    "double_funding": "double financement",
    "de_minimis": "plafond de minimis",
}
BUDGET_CATEGORIES = {
    "staff": "personnel",
    "purchases": "achats",
    "external_services": "services extérieurs",
    "premises": "locaux",
    "equipment": "équipement",
    "investment": "investissement",
    "travel": "déplacements",
    "communication": "communication",
    "training": "formation",
    "overheads": "frais de structure",
    "other": "autres",
}
STATE_AID_BASES = {
    "de_minimis_general": "de minimis général",
    "de_minimis_sgei": "de minimis SIEG",
    "block_exemption": "régime d'exemption par catégorie",
    "notified_scheme": "régime notifié",
    "not_state_aid": "pas une aide d'État",
}
DECISION_ERRORS = {
    "request_id": "Choisissez la demande sur laquelle porte la décision.",
    "decided_on": "Saisissez la date de la décision, au format jj/mm/aaaa.",
    "outcome": "Choisissez le sens de la décision.",
    "instrument": "Choisissez l'instrument.",
    "nominal_amount": "Saisissez un montant en euros, par exemple 12 500 ou 12 500,50.",
    "gross_grant_equivalent": "Saisissez l'équivalent-subvention brut en euros, par exemple 12 500.",
    "beneficiary_siren": "Le SIREN compte 9 chiffres, par exemple 732829320.",
    "legal_right_on": "Saisissez une date au format jj/mm/aaaa.",
    "state_aid_basis": "Choisissez la base au regard des aides d'État : une aide accordée en a une.",
}
FILTER_ERRORS = {
    "submitted_from": "Saisissez une date de début au format jj/mm/aaaa.",
    "submitted_to": "Saisissez une date de fin au format jj/mm/aaaa.",
    "q": "Saisissez de 2 à 100 caractères du titre.",
    "department": "Choisissez un département de la liste.",
    "objective": "Choisissez un objectif de la liste.",
    "funder": "Choisissez un financeur de la liste.",
    "sort": "Choisissez un ordre de la liste.",
    "order": "Choisissez un sens de tri de la liste.",
}
DEPARTMENT_CHOICES = {code: f"{code} — {name}" for code, name in DEPARTMENTS.items()}
OBJECTIVE_CHOICES = {code: f"{code} — {title}" for code, title in OBJECTIVE_TITLES.items()}
REVIEW_STATES = {"overdue": "En retard", "upcoming": "À venir", "done": "Réalisés"}
PLAN_STATUSES = {
    "open": "en cours de bouclage",
    "fully_funded": "bouclé",
    "over_funded": "surfinancé",
    "in_conflict": "en conflit (double financement ou plafond de minimis)",
}
SORTS = {"submitted_on": "date de dépôt", "department": "département", "status": "statut"}
ORDERS = {"desc": "décroissant (les plus récents d'abord)", "asc": "croissant"}
REQUEST_ERRORS = {
    "requested_on": "Saisissez la date de la demande, au format jj/mm/aaaa.",
    "instrument": "Choisissez l'instrument.",
    "amount": "Saisissez le montant demandé en euros, plus de zéro, par exemple 25 000.",
    "budget_lines": "Choisissez parmi les lignes du budget déposé.",
    "programme": "Le programme s'écrit en lettres, chiffres, tirets, sans espace, par exemple FSE-2026.",
}
OPINION_ERRORS = {
    "given_on": "Saisissez la date de l'avis, au format jj/mm/aaaa.",
    "outcome": "Choisissez le sens de l'avis.",
    "eligible_lines": "Saisissez un montant éligible en euros, par exemple 12 500 ou 0.",
    "eligible_total": "La somme des montants éligibles est à revoir.",
    "self_financing": "Saisissez l'autofinancement en euros, par exemple 5 000 ou 0.",
    "in_kind": "Saisissez les contributions en nature en euros, par exemple 2 000 ou 0.",
    "remark": "L'observation compte au plus 2 000 caractères.",
}
COMMITMENT_ERRORS = {
    "decision_id": "Choisissez la décision engagée.",
    "committed_on": "Saisissez la date de l'engagement, au format jj/mm/aaaa.",
    "reference": "Saisissez le numéro d'engagement juridique : lettres, chiffres, points, tirets, "
    "par exemple EJ-2026-0042.",
    "amount": "Saisissez le montant engagé en euros, plus de zéro, par exemple 25 000.",
}
OPINION_OUTCOMES = {
    "favourable": "favorable",
    "favourable_with_reservations": "favorable avec réserves",
    "unfavourable": "défavorable",
}
SERVICE_REFUSED_FORM = "Le service de financement refuse cet acte : {}"


EVENT_TYPES = {
    "project_submitted": "dépôt du dossier",
    "project_qualified": "qualification",
    "project_correction_requested": "demande de corrections",
    "project_corrected": "dossier corrigé",
    "project_oriented": "orientation vers un réseau",
    "project_orientation_accepted": "orientation acceptée",
    "project_orientation_declined": "orientation déclinée",
    "project_withdrawn": "retrait",
    "project_closed": "clôture",
    "project_funding_requested": "demande de financement",
    "project_opinion_given": "avis de pré-instruction",
    "project_cofunder_declared": "cofinanceur déclaré",
    "project_de_minimis_declared": "déclaration de minimis",
    "project_decision_recorded": "décision",
    "project_decision_cancelled": "décision annulée",
    "project_commitment_recorded": "engagement",
    "project_tranche_scheduled": "échéance prévue",
    "project_disbursement_recorded": "versement",
    "project_recovery_recorded": "reversement",
    "project_breach_acknowledged": "règle franchie avec un second décideur",
    "project_review_due": "suivi à faire",
    "project_review_recorded": "suivi réalisé",
    "project_erasure_requested": "demande d'effacement",
    "project_data_key_destroyed": "clé de données détruite (effacement)",
}
VERDICTS = {
    "verified": "signature vérifiée, émetteur autorisé",
    "waiting": "en attente",
    "refused": "refusé",
}
REFUSAL_KINDS = (
    ("not the owner", "émetteur non autorisé pour ce projet"),
    ("bad signature", "signature invalide ou clé inconnue"),
    ("vouched", "signé par une clé révoquée ou retirée, hors de ce qu'elle couvrait"),
    ("signed nothing", "signé par une clé révoquée ou retirée, hors de ce qu'elle couvrait"),
    ("no journal number", "signé par une clé révoquée ou retirée, hors de ce qu'elle couvrait"),
    ("malformed", "message mal formé"),
)


def refusal_kind(reason: str | None) -> str:
    """A fold's refusal, in French: its kind (the service's words stay beside it, for the technicians)."""
    text = reason or ""
    return next((french for start, french in REFUSAL_KINDS if start in text), "refusé par les services")


RECORDED = {
    "demande": "La demande de financement de {pilot} est enregistrée.",
    "avis": "L'avis de {pilot} est enregistré : il fixe le budget éligible pour tous les financeurs.",
    "decision": "La décision de {pilot} est enregistrée ; chaque financeur la voit dans le plan partagé.",
    "engagement": "L'engagement de {pilot} est enregistré dans le plan partagé.",
}


def amount_text(cents: int) -> str:
    """Cents as a form shows them to be typed again: 12 500 or 12 500,50 (no currency sign)."""
    return euros(cents).removesuffix(" €").removesuffix(",00")


SUBJECTS = (  # the rules' subjects (ess_views.funding_plan), as the rule's sentence names them
    ("the plan", "le plan"),
    ("budget line ", "la ligne de budget "),
    ("single undertaking ", "l'entreprise unique "),
)


def subject_text(subject: str) -> str:
    for english, french in SUBJECTS:
        if subject.startswith(english):
            return french + subject.removeprefix(english)
    return subject


FACT_KINDS = {  # the kind in a plan fact's key (`<pilot>/<kind>/<id>`, ess_views.funding_plan.facts)
    "opinion": "l'avis",
    "decision": "la décision",
    "cofunder": "le cofinancement déclaré",
    "commitment": "l'engagement",
    "control-link": "le lien de contrôle",
}
OF_PILOT = {"region": "de la Région", "state": "de l'État", "bdt": "de la Banque des Territoires"}


def act_text(key: str) -> str:
    """`state/commitment/c-1` as « l'engagement c-1 de l'État »; a key of another shape, as it is."""
    pilot, kind, ident = [*key.split("/", 2), "", ""][:3]
    if kind not in FACT_KINDS or pilot not in OF_PILOT:
        return f"l'acte {key}"
    return f"{FACT_KINDS[kind]} {ident} {OF_PILOT[pilot]}"


def verdict_text(verdict: dict[str, Any]) -> str:
    """A rule's verdict in French, from its figures: the service's own message is for developers."""
    rule = RULES.get(str(verdict["rule"]), str(verdict["rule"]))
    regulation = f" ({verdict['regulation']})" if verdict.get("regulation") else ""
    act = f"{act_text(str(verdict['act']))} du {day(verdict['act_on'])}"
    return (
        f"{rule.capitalize()}{regulation} : {act} porte "
        f"{subject_text(str(verdict['subject']))} à {euros(int(verdict['total_cents']))} pour un plafond de "
        f"{euros(int(verdict['limit_cents']))}, soit {euros(int(verdict['excess_cents']))} de trop."
    )


CORRECTABLE = CORRECTABLE_FIELDS
REASONS = CORRECTION_REASONS


def person_label(person: str, pilot: str) -> str:
    """`region-instructor` as « Région des Pays de la Loire — instruction »."""
    who = person.removeprefix(f"{pilot}-")
    return f"{PILOTS.get(pilot, pilot)} — {ROLES.get(who, who)}"
