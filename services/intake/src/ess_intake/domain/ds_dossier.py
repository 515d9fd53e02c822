"""A dossier of Démarches Simplifiées as the connector reads it (the JSON of `adapters/ds_queries`), and
the states it can be in. Values are kept as DS gives them; `ds_convert` turns them into a submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

DsState = Literal["en_construction", "en_instruction", "accepte", "refuse", "sans_suite"]
ENDED_STATES: frozenset[str] = frozenset({"refuse", "sans_suite"})


@dataclass(frozen=True)
class Champ:
    typename: str
    label: str
    text: str | None
    value: Any
    """The typed value under the alias the query gives it (see `adapters/ds_queries.CHAMP_VALUES`)."""


@dataclass(frozen=True)
class Dossier:
    number: int
    state: str
    filed_at: datetime
    revision: str
    """`dateDerniereModification` as DS writes it: a new one means something changed on the dossier."""
    siret: str | None
    raison_sociale: str | None
    champs: dict[str, Champ]

    @property
    def filed_on(self) -> date:
        """The day it was filed, in DS's own time zone (the offset DS gives)."""
        return self.filed_at.date()

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES


@dataclass(frozen=True)
class DeletedDossier:
    number: int
    reason: str
    deleted_at: str


def parse_dossier(node: dict[str, Any]) -> Dossier:
    demandeur = node.get("demandeur") or {}
    company = demandeur.get("entreprise") or {}
    association = demandeur.get("association") or {}
    champs: dict[str, Champ] = {}
    for raw in node.get("champs") or ():
        champs.setdefault(raw["label"], _champ(raw))  # a label twice: the first, as DS shows it
    return Dossier(
        number=int(node["number"]),
        state=str(node["state"]),
        filed_at=datetime.fromisoformat(node["dateDepot"]),
        revision=str(node["dateDerniereModification"]),
        siret=demandeur.get("siret"),
        raison_sociale=company.get("raisonSociale") or association.get("titre"),
        champs=champs,
    )


def _champ(raw: dict[str, Any]) -> Champ:
    typed = {k: v for k, v in raw.items() if k not in {"__typename", "id", "label", "stringValue"}}
    value = next(iter(typed.values()), None)
    if isinstance(value, dict):  # departement { code }, etablissement { siret }
        value = value.get("code") or value.get("siret")
    return Champ(raw["__typename"], raw["label"], raw.get("stringValue"), value)


def parse_deleted(node: dict[str, Any]) -> DeletedDossier:
    return DeletedDossier(int(node["number"]), str(node["reason"]), str(node["dateSupression"]))
