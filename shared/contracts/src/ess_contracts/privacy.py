"""Erasure on an immutable log: the author of a sealed text destroys its data key and says so, signed.

The event carries no text and no key material, only the key's id: every fold marks the texts under it
erased, whatever the order of arrival (a text folded after its key's destruction is erased too), so a
service rebuilt later shows them erased and every pilot's digest stays equal. Only the key's author (the
pilot its id names) may destroy it (`ess_contracts.authority`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import StringConstraints

from ess_contracts.base import Payload
from ess_contracts.evaluation import REVIEW_REMARK_FIELD
from ess_contracts.funding import CONDITION_DETAIL_FIELD, OPINION_REMARK_FIELD
from ess_contracts.intake import TITLE_FIELD
from ess_contracts.sealing import DataKeyId
from ess_contracts.types import AggregateKind, ServiceName, Token

ErasureReason = Literal["erasure_request", "rectification", "retention"]
"""Art. 17 request, art. 16 rectification (a new value sealed under a new key), end of retention."""

SEALED_FIELDS: dict[ServiceName, tuple[str, ...]] = {
    "intake": (TITLE_FIELD,),
    "funding": (OPINION_REMARK_FIELD, CONDITION_DETAIL_FIELD),
    "evaluation": (REVIEW_REMARK_FIELD,),
}
"""The free-text fields each service seals: the only texts it could keep back from an erasure request for
a legal obligation (art. 17(3)(b), `ESS_<SERVICE>_LEGAL_HOLDS`)."""

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z_]+(\.[a-z_]+)*$", max_length=64)]


class DataKeyDestroyed(Payload):
    """Issued by the service that sealed texts under `key` (any service of the key's pilot), about the
    project those texts belong to."""

    SERVICE: ClassVar[ServiceName] = "ops"  # the envelope names the author's service
    AGGREGATE: ClassVar[AggregateKind] = "project"
    type: Literal["project_data_key_destroyed"] = "project_data_key_destroyed"
    key: DataKeyId
    field: FieldName
    destroyed_on: date
    reason: ErasureReason
    request_id: Token | None = None


PrivacyPayload = DataKeyDestroyed
