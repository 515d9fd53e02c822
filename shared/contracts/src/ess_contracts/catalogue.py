"""The whole catalogue: one discriminated union of every payload, its version table and the upcasters that
bring an older version forward (its JSON Schema is written by schema_export.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from pydantic import Field

from ess_contracts.base import Payload
from ess_contracts.evaluation import EvaluationPayload
from ess_contracts.funding import FundingPayload
from ess_contracts.intake import IntakePayload
from ess_contracts.ops import OpsPayload
from ess_contracts.privacy import PrivacyPayload
from ess_contracts.sealing import unsealed
from ess_contracts.undertaking import UndertakingPayload

CATALOGUE_VERSION = "v7"  # v2: checkpoint_recorded 2; v3: control links, outside aid, rules versions;
# v4: free text sealed (project_submitted, project_corrected, project_review_recorded,
# project_opinion_given 2, project_decision_recorded 3), project_data_key_destroyed; v5: project_review_due;
# v6: the organisation's registered name and RNA number (project_submitted 3, project_corrected 3); a
# checkpoint's digests are LtHash multiset hashes (docs/digest.md), never compared with a v5 service's;
# v7: checkpoint_recorded 3 (the bookkeeping's digest, checkpoints at agreed positions: docs/snapshots.md)

AnyPayload = Annotated[
    IntakePayload | FundingPayload | UndertakingPayload | EvaluationPayload | OpsPayload | PrivacyPayload,
    Field(discriminator="type"),
]

PAYLOAD_TYPES: dict[str, type[Payload]] = {
    cls.model_fields["type"].default: cls for cls in get_args(get_args(AnyPayload)[0])
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _checkpoint_1_to_2(payload: dict[str, Any]) -> dict[str, Any]:
    """A version 1 service compared its shared views only."""
    return {**payload, "own_view_digest": None}


def _checkpoint_2_to_3(payload: dict[str, Any]) -> dict[str, Any]:
    """A version 2 service signed its views only, whenever they changed."""
    return {**payload, "bookkeeping_digest": None, "agreed_position": False}


def _rules_version_1(payload: dict[str, Any]) -> dict[str, Any]:
    """An act issued before rules had versions was checked under version 1 (each plan alone)."""
    return {**payload, "rules_version": 1}


def _title_sealed(payload: dict[str, Any]) -> dict[str, Any]:
    """A title sent in clear before v4 stays in clear: it was never erasable, and is shown as it was."""
    project = payload["project"]
    return {**payload, "project": {**project, "title": unsealed(project["title"])}}


def _name_unknown(payload: dict[str, Any]) -> dict[str, Any]:
    """Before version 3 the organisation's name and RNA number stayed in intake: they stay unknown."""
    return payload


def _clear(text: str) -> dict[str, str] | None:
    """A free text sent in clear before v4 stays in clear (never erasable); an empty one is absent."""
    return unsealed(text) if text else None


def _remark_sealed(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "remark": _clear(payload.get("remark", ""))}


def _details_sealed(payload: dict[str, Any]) -> dict[str, Any]:
    conditions = [{**c, "detail": _clear(c.get("detail", ""))} for c in payload.get("conditions", [])]
    return {**payload, "conditions": conditions}


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("checkpoint_recorded", 1): _checkpoint_1_to_2,
    ("checkpoint_recorded", 2): _checkpoint_2_to_3,
    ("project_decision_recorded", 1): _rules_version_1,
    ("project_cofunder_declared", 1): _rules_version_1,
    ("project_submitted", 1): _title_sealed,
    ("project_corrected", 1): _title_sealed,
    ("project_submitted", 2): _name_unknown,
    ("project_corrected", 2): _name_unknown,
    ("project_review_recorded", 1): _remark_sealed,
    ("project_opinion_given", 1): _remark_sealed,
    ("project_decision_recorded", 2): _details_sealed,
}
"""(type, from_version) -> function taking a payload dict of that version to the next one."""


def current_version(event_type: str) -> int | None:
    cls = PAYLOAD_TYPES.get(event_type)
    return cls.VERSION if cls else None


def upcast(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    target = current_version(event_type) or version
    while version < target:
        payload = UPCASTERS[(event_type, version)](payload)
        version += 1
    return payload
