"""The French words of the holders' and networks' pages: the contracts' codes a dossier uses, and each of
intake's field rules said to the person who typed the field (intake names fields in English)."""

from __future__ import annotations

import re

LEGAL_FORMS = {
    "association": "association",
    "scop": "société coopérative et participative (SCOP)",
    "scic": "société coopérative d'intérêt collectif (SCIC)",
    "cae": "coopérative d'activité et d'emploi (CAE)",
    "mutual": "mutuelle",
    "foundation": "fondation",
    "commercial_company": "société commerciale (avec l'agrément ESUS pour relever de l'ESS)",
    "other": "autre forme",
}
NEEDS = {
    "funding": "un financement",
    "support": "un accompagnement",
    "training": "une formation",
    "premises": "un local",
    "network": "une mise en réseau",
}
ATTACHMENT_KINDS = {"statutes": "statuts", "budget": "budget prévisionnel", "other": "autre pièce"}
DECLINE_REASONS = {
    "out_of_scope": "le projet sort du champ du réseau",
    "no_capacity": "le réseau ne peut pas l'accompagner pour l'instant",
    "territory_not_covered": "le réseau ne couvre pas ce territoire",
    "other": "autre motif",
}
WITHDRAWAL_REASONS = {
    "holder_request": "je ne souhaite plus donner suite",
    "project_abandoned": "le projet est abandonné",
    "funded_elsewhere": "le projet est financé par ailleurs",
    "other": "autre motif",
}
ANSWERS = {"accepted": "accepté", "declined": "décliné"}

DOSSIER_ERRORS = {
    "organisation": "Complétez l'organisation qui porte le projet.",
    "organisation.name": "Saisissez le nom de l'organisation (200 caractères au plus).",
    "organisation.being_created": "Indiquez si l'organisation est en création.",
    "organisation.siret": "Saisissez le SIRET de l'organisation : 14 chiffres, par exemple "
    "732 829 320 00074 ; ou cochez « en création » si elle n'en a pas encore (elle n'a alors pas de SIRET).",
    "organisation.legal_form": "Choisissez la forme juridique de l'organisation.",
    "organisation.rna": "Le numéro RNA s'écrit W suivi de 9 chiffres, par exemple W442001234 ; "
    "seule une association en a un.",
    "organisation.esus_agreement": "Indiquez si l'organisation a l'agrément ESUS.",
    "organisation.department": "Choisissez le département de l'organisation, dans les Pays de la Loire.",
    "organisation.epci_siren": "Le SIREN de l'intercommunalité compte 9 chiffres, par exemple 200 067 106.",
    "contact": "Complétez la personne à contacter.",
    "contact.name": "Saisissez le nom de la personne à contacter (120 caractères au plus).",
    "contact.email": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
    "contact.phone": "Saisissez un numéro de téléphone français à 10 chiffres, par exemple 06 12 34 56 78, "
    "ou international, par exemple +33 6 12 34 56 78.",
    "project": "Complétez la description du projet.",
    "project.title": "Saisissez le titre du projet (200 caractères au plus, avec au moins une lettre).",
    "project.description": "Décrivez le projet (5 000 caractères au plus).",
    "project.stage": "Choisissez le stade du projet.",
    "project.third_place": "Indiquez si le projet est un tiers-lieu.",
    "project.needs": "Cochez au moins un besoin.",
    "project.needs.*": "Cochez au moins un besoin.",
    "project.budget": "Saisissez au moins une ligne de budget : libellé, catégorie et montant.",
    "project.budget.total": "Le total du budget doit être un montant en euros.",
    "project.budget.lines": "Saisissez au moins une ligne de budget : libellé, catégorie et montant.",
    "project.budget.lines.*": "Complétez la ligne de budget : libellé, catégorie et montant.",
    "project.budget.lines.*.label": "Saisissez le libellé de la ligne (200 caractères au plus).",
    "project.budget.lines.*.category": "Choisissez la catégorie de la ligne.",
    "project.budget.lines.*.amount": "Saisissez un montant en euros, par exemple 12 500 ou 12 500,50.",
    "project.budget.lines.*.code": "Le code de la ligne est à revoir.",
    "project.planned_jobs": "Saisissez le nombre d'emplois prévus, un nombre entier, par exemple 2 ou 0.",
    "project.start_on": "Saisissez la date de démarrage du projet, au format jj/mm/aaaa.",
    "attachments": "Les pièces jointes font 10 Mo au plus en tout, et un même fichier n'est joint "
    "qu'une fois.",
    "attachments.*": "Ce fichier n'est pas accepté : joignez un PDF ou un document bureautique (Word, Excel, "
    "OpenDocument) de 5 Mo au plus.",
    "attachments.*.file_name": "Le nom du fichier compte 255 caractères au plus, sans dossier.",
    "attachments.*.kind": "Le genre de la pièce est à revoir.",
    "attachments.*.media_type": "Ce type de fichier n'est pas accepté : joignez un PDF ou un document "
    "bureautique (Word, Excel, OpenDocument).",
    "attachments.*.content": "Ce fichier ne correspond pas à son type, ou dépasse 5 Mo.",
    "remove_attachments": "Choisissez parmi les pièces déjà envoyées.",
    "remove_attachments.*": "Cette pièce n'est plus dans le dossier.",
}
"""Each rule intake checks field by field, keyed by the field's path (indices as `*`); the corrected
dossier's new files (`add_attachments`) are said as the first ones'."""
FORM_REFUSED = "Le dossier n'est pas accepté : {}"
DUPLICATE = (
    "Un projet ouvert de cette organisation porte déjà ce titre (projet {}) : suivez-le par son lien, "
    "ou changez le titre s'il s'agit d'un autre projet."
)
ANSWER_ERRORS = {
    "reason": "Choisissez le motif du refus.",
    "withdrawal": "Choisissez le motif du retrait.",
    "confirm": "Cochez la case pour confirmer le retrait.",
}
DONE = {
    "correction": "Votre dossier corrigé est envoyé : le service qui instruit votre projet le reprend.",
    "retrait": "Votre projet est retiré. Vous pouvez toujours consulter son historique ici.",
}
KEY_USED = (
    "Ce formulaire a déjà servi à déposer un projet, avec d'autres valeurs : vérifiez-les, puis déposez-le "
    "à nouveau s'il s'agit bien d'un autre projet."
)
FILES_AGAIN = "Les fichiers choisis ne sont pas gardés d'un envoi à l'autre : joignez-les à nouveau."


def dossier_error(path: str) -> str | None:
    """The French rule of an intake field (`project.budget.lines.0.amount`), None when none is known."""
    general = re.sub(r"\.\d+(?=\.|$)", ".*", path).replace("add_attachments", "attachments")
    return DOSSIER_ERRORS.get(general)


def day(iso: str | None) -> str:
    """`2026-09-01` (or a timestamp) as French readers write it: 01/09/2026."""
    if not iso:
        return "—"
    year, month, rest = str(iso)[:10].split("-")
    return f"{rest}/{month}/{year}"
