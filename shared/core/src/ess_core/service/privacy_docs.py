"""The register of processing (GDPR art. 30) as far as the code can state it, generated from the event
catalogue by `make docs` into docs/privacy/register.md, in French for the pilots' data-protection officers:
what travels on the shared stream (every field of every event, its recipients, the free-text fields that
could carry personal data) beside what stays in each pilot's own databases. The parts the code cannot
know (the controllers' names and contacts, the legal basis each controller chose) are left for them to
fill in, marked « à compléter »."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ess_contracts.catalogue import PAYLOAD_TYPES
from ess_contracts.sealing import Sealed
from ess_contracts.types import PILOTS
from ess_core.service.json_schema import inlined

PURPOSES = {
    "intake": "instruction des demandes des porteurs de projets ESS, qualification et orientation",
    "funding": "décisions de financement de chaque financeur, plan de financement partagé, aides d'État",
    "evaluation": "suivi et évaluation de la stratégie (indicateurs, revues, instances, rapports)",
    "ops": "exploitation : points de contrôle des vues et sondes, sans donnée personnelle",
}

HEAD = """# Registre des traitements (art. 30 RGPD) : ce que le code en dit

Généré par `make docs` depuis le catalogue des événements (`ess_core/service/privacy_docs.py`) ; ne pas
modifier à la main. Chaque pilote (Région, État, Banque des Territoires) est responsable de traitement
pour ses propres services ; le flux partagé `ESS` est reçu et conservé par les trois (responsabilité
conjointe, voir `joint-controllers.md`).

- Responsables de traitement, délégués à la protection des données, base légale : à compléter par chaque
  pilote (mission d'intérêt public, art. 6(1)(e), le plus souvent).
- Personnes concernées : porteurs de projets (associations, coopératives, entreprises de l'ESS) et leurs
  contacts ; agents des pilotes (instructeurs, décideurs, opérateurs) par leur identifiant opaque.
- Restent dans la base de l'instruction (intake) du pilote qui reçoit le dossier, jamais sur le flux :
  nom de l'organisation, nom, courriel et téléphone du contact, description du projet, libellés du
  budget, pièces jointes (le flux n'en porte que l'empreinte SHA-256), journal des consultations, avis
  envoyés par courriel (adresse, texte), adresses des réseaux d'accompagnement.
- Durées : contacts effacés `ESS_INTAKE_CONTACT_RETENTION_DAYS` jours (1 095 par défaut) après la fin du
  dossier ; lien de suivi du porteur valable `ESS_INTAKE_LINK_TTL_DAYS` jours (180 par défaut) ; le flux
  partagé est immuable et conservé pour la durée de la stratégie et de son évaluation (à compléter).
- Obligation légale de conservation (art. 17(3)(b)) : un service peut conserver, sur demande
  d'effacement, les textes scellés d'un champ qu'une obligation légale lui impose de garder, motif à
  l'appui (`ESS_<SERVICE>_LEGAL_HOLDS`) ; la clé en est gardée et marquée, tout le reste est effacé.
- Transferts hors UE : aucun.

## Ce qui circule sur le flux partagé, par événement

Destinataires de chaque événement : les services des trois pilotes ({pilots}). Les champs marqués 🔒
circulent scellés : chiffrés avec une clé de données propre au projet, au pilote auteur et au champ, qui
ne circule jamais sur le flux (le pilote auteur la garde et en remet une copie scellée à chaque pilote par
le magasin de clés) ; détruire la clé efface le texte partout (crypto-shredding). Les champs de texte
libre marqués ✎ circulent encore en clair : ils ne devraient pas contenir de données personnelles.

| événement | service émetteur | finalité | champs |
|---|---|---|---|
"""


SEALED_FIELDS = set(Sealed.model_fields)


def _fields(schema: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted field names, free text marked: a string with no enum, pattern, format or const."""
    for name, spec in schema.get("properties", {}).items():
        if name == "type" and not prefix:
            continue
        dotted = f"{prefix}{name}"
        nested = [s for s in spec.get("anyOf", []) if s.get("type") != "null"]
        target = nested[0] if len(nested) == 1 else spec
        if target.get("type") == "array":
            target = target.get("items", {})
            dotted += "[]"
        if set(target.get("properties", {})) == SEALED_FIELDS:
            yield f"{dotted} 🔒"
        elif "properties" in target:
            yield from _fields(target, f"{dotted}.")
        elif _free_text(target):
            yield f"{dotted} ✎"
        else:
            yield dotted


def _free_text(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "string" and not ({"enum", "pattern", "format", "const"} & set(spec))


def privacy_register() -> str:
    lines = [HEAD.format(pilots=", ".join(PILOTS))]
    for name, cls in sorted(PAYLOAD_TYPES.items()):
        fields = ", ".join(_fields(inlined(cls))) or "-"
        lines.append(f"| `{name}` | {cls.SERVICE} | {PURPOSES[cls.SERVICE]} | {fields} |\n")
    return "".join(lines)
