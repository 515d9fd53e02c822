"""The acts a pilot's funding staff record, one per funding event of the contracts.

An act's body is its event payload's fields (without `type`), plus two optional fields of the request:
`pilot` (the funder acting; when given it must be this service's pilot) and `acknowledge` (rules the
decider knowingly overrides, see `ACKNOWLEDGEABLE`). An act's own id may be left out: the service mints it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import uuid_utils
from pydantic import ValidationError

from ess_contracts import funding as f
from ess_contracts.base import Payload
from ess_funding.domain.refusals import Invalid, WrongPilot
from ess_views.funding_plan.verdict import RULES, RuleName

ACKNOWLEDGEABLE: frozenset[RuleName] = frozenset({"over_funding", "double_funding"})
"""Over-funding and double funding may be acknowledged: the act goes through and every pilot's plan still
flags the breach, until a funder cancels or the instruction changes. A de minimis breach may not: aid beyond
the ceiling is not de minimis aid; decide on another basis (block exemption, notified scheme) instead."""


@dataclass(frozen=True)
class ActKind:
    path: str  # in the address: POST /projects/{project_id}/{path}
    label: str  # in messages and in the acts verdicts name: `state/commitment/c1`
    payload: type[Payload]
    id_field: str | None
    roles: tuple[str, ...]


KINDS: tuple[ActKind, ...] = (
    ActKind("requests", "request", f.ProjectFundingRequested, "request_id", ("instructor",)),
    ActKind("opinions", "opinion", f.ProjectOpinionGiven, "opinion_id", ("instructor",)),
    ActKind("cofunders", "cofunder", f.ProjectCofunderDeclared, "cofunder_line_id", ("instructor",)),
    ActKind("de-minimis-declarations", "declaration", f.ProjectDeMinimisDeclared, None, ("instructor",)),
    ActKind("decisions", "decision", f.ProjectDecisionRecorded, "decision_id", ("decider",)),
    ActKind("commitments", "commitment", f.ProjectCommitmentRecorded, "commitment_id", ("decider",)),
    ActKind("tranches", "tranche", f.ProjectTrancheScheduled, "tranche_id", ("instructor", "decider")),
    ActKind(
        "disbursements",
        "disbursement",
        f.ProjectDisbursementRecorded,
        "disbursement_id",
        ("instructor", "decider"),
    ),
    ActKind("cancellations", "cancellation", f.ProjectDecisionCancelled, None, ("decider",)),
    ActKind("recoveries", "recovery", f.ProjectRecoveryRecorded, "recovery_id", ("decider",)),
)
BY_PATH: Mapping[str, ActKind] = {kind.path: kind for kind in KINDS}


@dataclass(frozen=True)
class Act:
    kind: ActKind
    payload: Payload
    acknowledge: frozenset[RuleName]
    texts: Mapping[str, str] = field(default_factory=dict)
    """Free text as staff wrote it (`remark`, `conditions.<i>.detail`): sealed when the act is recorded."""

    @property
    def act_id(self) -> str:
        field = self.kind.id_field or ("decision_id" if self.kind.path == "cancellations" else None)
        return str(getattr(self.payload, field)) if field else ""


def parse_act(kind: ActKind, body: Mapping[str, Any], service_pilot: str) -> Act:
    """The act in `body`, or a refusal naming what is wrong with it."""
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object of the act's fields")
    fields = integral(dict(body))
    named = fields.pop("pilot", None)
    if named is not None and named != service_pilot:
        raise WrongPilot(service_pilot, str(named))
    acknowledge = _acknowledged(fields.pop("acknowledge", []))
    fields.pop("type", None)
    fields.pop("rules_version", None)  # the service checks every act under its own rules: it says which
    if kind.id_field and not fields.get(kind.id_field):
        fields[kind.id_field] = mint_id(kind)
    texts = free_texts(kind.label, fields)
    return Act(kind, validated(kind.payload, kind.label, fields), acknowledge, texts)


def free_texts(label: str, fields: dict[str, Any]) -> dict[str, str]:
    """Take the free text out of `fields` (it is sealed later, in the act's transaction), checking each
    against its length; an empty text is no text."""
    found: dict[str, str] = {}
    if not isinstance(fields.get("remark"), dict):  # a held act comes back sealed already
        remark = fields.pop("remark", None)
        if remark:
            found["remark"] = _text(label, "remark", remark, f.STAFF_REMARK_MAX)
    for i, condition in enumerate(fields.get("conditions") or []):
        if (
            isinstance(condition, dict)
            and condition.get("detail")
            and not isinstance(condition["detail"], dict)
        ):
            found[f"conditions.{i}.detail"] = _text(
                label, f"conditions.{i}.detail", condition.pop("detail"), f.CONDITION_DETAIL_MAX
            )
    return found


def _text(label: str, where: str, value: Any, longest: int) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{label}: {where}: Input should be a valid string")
    text = unicodedata.normalize("NFC", value)
    if len(text) > longest:
        raise Invalid(f"{label}: {where}: String should have at most {longest} characters")
    return text


def validated(model: type[Payload], label: str, fields: Mapping[str, Any]) -> Payload:
    """The payload, or a refusal naming the first field that breaks its contract, and the rule."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or label
        raise Invalid(
            f"{label}: {where}: {first['msg']}", error.errors(include_url=False, include_context=False)
        ) from error


def integral(value: Any) -> Any:
    """JSON numbers with no fraction as integers (`192.0` is the integer 192 in JSON Schema, which the API
    documents), so that no client's serializer is refused for it; other floats stay and are refused by
    the contract (money is integer cents)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def _acknowledged(value: object) -> frozenset[RuleName]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("acknowledge must be a list of rule names")
    unknown = sorted(set(value) - set(RULES))
    if unknown:
        raise Invalid(f"acknowledge: unknown rule {unknown[0]!r}; rules are {', '.join(RULES)}")
    refused = sorted(set(value) - ACKNOWLEDGEABLE)
    if refused:
        raise Invalid(
            f"acknowledge: {refused[0]} cannot be acknowledged: aid beyond the de minimis ceiling is not "
            "de minimis aid; decide on another state-aid basis"
        )
    return frozenset(r for r in RULES if r in value)


def mint_id(kind: ActKind) -> str:
    """A fresh id for an act, unique within the project: the kind's initials and a UUIDv7."""
    initials = "".join(word[0] for word in kind.path.split("-"))
    return f"{initials}-{uuid_utils.uuid7().hex}"
