"""The bodies of the acts other than submission: requests for correction, withdrawal, closure,
a network's answer, and the directory's entries."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, ValidationInfo, field_validator

from ess_contracts.intake import (
    ClosureReason,
    CorrectableField,
    CorrectionReason,
    DeclineReason,
    Need,
    ProjectStage,
    WithdrawalReason,
)
from ess_contracts.types import Department, Token
from ess_intake.domain.fields import Email, IsoDate, Line, Paragraph, SiretInput, distinct
from ess_intake.domain.submission import Input


class CorrectionRequestInput(Input):
    fields: Annotated[tuple[CorrectableField, ...], Field(min_length=1), AfterValidator(distinct)]
    reasons: Annotated[tuple[CorrectionReason, ...], Field(min_length=1), AfterValidator(distinct)]
    remark: Annotated[Paragraph, Field(max_length=2000)] | None = Field(
        None, description="the instructor's words; stay in intake"
    )
    answer_by: IsoDate | None = Field(None, description="after today")


class WithdrawalInput(Input):
    reason: WithdrawalReason


class ClosureInput(Input):
    reason: ClosureReason
    duplicate_of: Token | None = Field(
        None, validate_default=True, description="the project this one duplicates; only with reason duplicate"
    )

    @field_validator("duplicate_of")
    @classmethod
    def _given_for_duplicates(cls, duplicate_of: str | None, info: ValidationInfo) -> str | None:
        reason = info.data.get("reason")
        if reason is not None and (reason == "duplicate") != (duplicate_of is not None):
            raise ValueError("duplicate_of names the original exactly when the reason is duplicate")
        return duplicate_of


class DeclineInput(Input):
    reason: DeclineReason


class NetworkInput(Input):
    """A support network's directory entry; its name is an organisation's and travels."""

    name: Annotated[Line, Field(max_length=120)]
    siret: SiretInput | None = None
    stages: Annotated[tuple[ProjectStage, ...], Field(min_length=1), AfterValidator(distinct)]
    needs: Annotated[tuple[Need, ...], Field(min_length=1), AfterValidator(distinct)]
    departments: Annotated[tuple[Department, ...], Field(min_length=1), AfterValidator(distinct)]
    account: Annotated[Line, Field(max_length=200)] | None = Field(
        None, description="the token subject that answers for this network (role network); stays in intake"
    )
    email: Email | None = Field(
        None, description="where the network is told of a project oriented to it (in French); stays in intake"
    )


class NewNetworkInput(NetworkInput):
    network_id: Token | None = Field(None, description="default: a new identifier")


class NetworkUpdateInput(NetworkInput):
    active: StrictBool = Field(True, description="false takes the network out of orientation")
