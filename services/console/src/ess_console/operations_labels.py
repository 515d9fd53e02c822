"""What the operations pages say in French: services, kinds of rejection, a retry's outcome, health."""

from __future__ import annotations

from typing import Any

SERVICES = {"intake": "dépôt", "funding": "financement", "evaluation": "évaluation", "ops": "exploitation"}
REJECTIONS = {
    "dead": "lettre morte (jamais applicable tel quel)",
    "gap": "en attente d'un événement précédent",
    "unknown": "en attente (type ou version inconnus ici, ou clé pas encore relue)",
}
RETRIED = {
    "applied": "appliqué : il a quitté les rejets",
    "duplicate": "déjà appliqué (doublon) : il a quitté les rejets",
    "parked": "toujours en attente ; la raison du jour est dans la liste",
    "dead": "toujours rejeté ; la raison du jour est dans la liste",
}
GONE = "il n'est plus dans les rejets de ce service (déjà repris ?)"
OPS_EVENT_TYPES = {"checkpoint_recorded": "point de contrôle", "probe_sent": "sonde"}
MAX_AGE_S = 60.0
"""As `ess status` by default: older than this, a lag or an unpublished event makes a service late."""


def health(figures: dict[str, Any] | None) -> tuple[str, str]:
    """A service's health from its `GET /lag`: (word for programs, French)."""
    if figures is None:
        return "down", "injoignable"
    if figures["dead_letters"]:
        return "dead", "lettres mortes à examiner"
    if figures["stream_last_seq"] is None:
        return "broker", "flux injoignable"
    ages = (figures["lag_seconds"], figures["outbox_oldest_age_seconds"])
    late = any((age or 0) > MAX_AGE_S for age in ages)
    return ("late", "en retard") if late else ("ok", "en bonne santé")


def seconds(value: float | None) -> str:
    """An age in French: « 3 s », « 2 min 5 s », « — » when there is none."""
    if value is None:
        return "—"
    whole = round(value)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60} s"


def agreement(row: dict[str, Any]) -> tuple[str, str]:
    """One checkpoint against the others of its group: (word for programs, French)."""
    if row["disagrees"]:
        return "divergent", "✗ divergent"
    if row["compared_with"] == 0:
        return "alone", "— non comparé (seul à cette position)"
    return "agree", "✓ concordant"
