"""What a holder or a network sends: the organisation, the contact person, the project, the files.

Every rule that needs no stored state is here, so one validation gives the 422 that names each failing
field. What leaves intake is derived from these models in `records`; contact, description, budget labels,
files and the name of a holder that may be a person stay.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from ess_contracts.intake import BudgetCategory, LegalForm, Need, ProjectStage
from ess_contracts.types import Department, Sha256, Token
from ess_intake.domain.attachments import MAX_ATTACHMENTS, MAX_TOTAL_ATTACHMENT_BYTES
from ess_intake.domain.fields import (
    Email,
    IsoDate,
    Line,
    Paragraph,
    Phone,
    RnaInput,
    SirenInput,
    SiretInput,
    distinct,
)
from ess_intake.domain.files import AttachmentUpload
from ess_intake.domain.money import Euros
from ess_intake.domain.titles import normalise_title


class Input(BaseModel):
    """Closed (an unknown field is an error, so a typo is named) and frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganisationInput(Input):
    name: Annotated[Line, Field(max_length=200)]
    being_created: StrictBool = Field(False, description="true for a structure without a SIRET yet")
    siret: SiretInput | None = Field(None, validate_default=True, description="14 digits, Luhn key")
    legal_form: LegalForm
    rna: RnaInput | None = Field(None, description="an association's RNA number: W and 9 digits")
    esus_agreement: StrictBool = Field(False, description="holds the ESUS agreement")
    department: Department = Field(description="the region's departments: 44, 49, 53, 72, 85")
    epci_siren: SirenInput | None = Field(None, description="the partner EPCI's SIREN (9 digits, Luhn key)")

    @field_validator("siret")
    @classmethod
    def _siret_unless_being_created(cls, siret: str | None, info: ValidationInfo) -> str | None:
        being_created = info.data.get("being_created")
        if being_created is None:
            return siret  # being_created itself is wrong and reported
        if siret is None and not being_created:
            raise ValueError("a SIRET is required unless the organisation is being created")
        if siret is not None and being_created:
            raise ValueError("an organisation being created has no SIRET yet")
        return siret

    @field_validator("rna")
    @classmethod
    def _rna_of_an_association(cls, rna: str | None, info: ValidationInfo) -> str | None:
        form = info.data.get("legal_form")
        if rna is not None and form is not None and form != "association":
            raise ValueError("only an association has an RNA number")
        return rna


class ContactInput(Input):
    name: Annotated[Line, Field(max_length=120)]
    email: Email
    phone: Phone


class BudgetLineInput(Input):
    label: Annotated[Line, Field(max_length=200)]
    category: BudgetCategory
    amount: Euros
    code: Token | None = Field(None, description="how funders refer to the line; default L1, L2...")


class BudgetInput(Input):
    total: Euros
    lines: Annotated[tuple[BudgetLineInput, ...], Field(min_length=1, max_length=100)]

    @field_validator("lines")
    @classmethod
    def _lines_fit_total(
        cls, lines: tuple[BudgetLineInput, ...], info: ValidationInfo
    ) -> tuple[BudgetLineInput, ...]:
        codes = line_codes(lines)
        if len(set(codes)) != len(codes):
            raise ValueError("budget line codes must be distinct")
        total: Decimal | None = info.data.get("total")
        lines_sum = sum((item.amount for item in lines), Decimal(0))
        if total is not None and lines_sum != total:
            raise ValueError(f"budget lines sum to {lines_sum:.2f} EUR, not the total {total:.2f} EUR")
        return lines


def line_codes(lines: tuple[BudgetLineInput, ...]) -> list[str]:
    return [item.code or f"L{index}" for index, item in enumerate(lines, start=1)]


def _title_has_words(title: str) -> str:
    if not normalise_title(title):
        raise ValueError("a title holds at least one letter or digit")
    return title


class ProjectInput(Input):
    title: Annotated[Line, Field(max_length=200), AfterValidator(_title_has_words)]
    description: Annotated[Paragraph, Field(max_length=5000)]
    stage: ProjectStage
    third_place: StrictBool
    needs: Annotated[tuple[Need, ...], Field(min_length=1), AfterValidator(distinct)]
    budget: BudgetInput
    planned_jobs: Annotated[StrictInt, Field(ge=0, le=100_000)]
    start_on: IsoDate


class _Dossier(Input):
    organisation: OrganisationInput
    contact: ContactInput
    project: ProjectInput


def _files_fit(files: tuple[AttachmentUpload, ...]) -> tuple[AttachmentUpload, ...]:
    if sum(len(f.content) for f in files) > MAX_TOTAL_ATTACHMENT_BYTES:
        raise ValueError(f"the files of one request add up to at most {MAX_TOTAL_ATTACHMENT_BYTES} bytes")
    if len({f.sha256 for f in files}) != len(files):
        raise ValueError("the same file is attached twice")
    return files


Files = Annotated[tuple[AttachmentUpload, ...], Field(max_length=MAX_ATTACHMENTS), AfterValidator(_files_fit)]


class Submission(_Dossier):
    attachments: Files = ()


class Correction(_Dossier):
    """The full corrected dossier; files already sent stay unless named in `remove_attachments`."""

    add_attachments: Files = ()
    remove_attachments: Annotated[
        tuple[Sha256, ...], Field(max_length=MAX_ATTACHMENTS), AfterValidator(distinct)
    ] = ()
