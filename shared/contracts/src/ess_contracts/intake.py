"""Intake events (axis 1: detect projects, qualify them against the strategy, orient them to networks).

Project events use aggregate `project` with the project id as aggregate id; the support-network directory
uses aggregate `network` with the network id. No personal data: the contact person, the free-text
description, budget line labels and the attachments' bytes and file names stay in intake's database; the bus
carries the organisation's identifiers, a legal person's registered name (public company data, which open
data on subsidies must name), structured project data and attachment hashes.

A later event of the same issuer replaces the earlier state it describes (a correction carries the full
corrected data, a network update the full directory entry); the issuer's sequence orders them.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import Annotated, ClassVar, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ess_contracts.base import Payload
from ess_contracts.sealing import Sealed
from ess_contracts.types import (
    AggregateKind,
    Cents,
    Department,
    Rna,
    ServiceName,
    Sha256,
    Siren,
    Siret,
    Text,
    Token,
)

# --- enumerations -------------------------------------------------------------------------------------------

ObjectiveCode = Literal[
    "O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8", "O9", "O10", "O11", "O12", "O13", "O14"
]
"""The strategy's 14 objectives, codes as published (the table in DESIGN.md)."""

LegalForm = Literal[
    "association", "scop", "scic", "cae", "mutual", "foundation", "commercial_company", "other"
]
"""A commercial company belongs to the ESS only with the ESUS agreement, carried as its own flag."""

LEGAL_PERSON_FORMS: frozenset[LegalForm] = frozenset(
    {"association", "scop", "scic", "cae", "mutual", "foundation", "commercial_company"}
)
"""Forms that are legal persons, whose registered name is public company data and travels on the bus.
`other` may be a sole trader, whose trading name is a person's name: it stays in intake."""

RegisteredName = Annotated[Text, StringConstraints(min_length=1, max_length=200)]

ProjectStage = Literal[
    "creation_or_takeover",  # O1
    "development_or_scale_up",  # O2
    "consolidation",  # O3
    "social_innovation",  # O4
    "collective_project",  # O5 (including PTCE)
]

Need = Literal["funding", "support", "training", "premises", "network"]

BudgetCategory = Literal[
    "staff",
    "purchases",
    "external_services",
    "premises",
    "equipment",
    "investment",
    "travel",
    "communication",
    "training",
    "overheads",
    "other",
]

AttachmentKind = Literal["statutes", "budget", "other"]

SubmissionChannel = Literal["holder", "network"]

CorrectableField = Literal[
    "siret",
    "legal_form",
    "esus_agreement",
    "department",
    "epci_siren",
    "title",
    "description",
    "stage",
    "third_place",
    "needs",
    "budget",
    "planned_jobs",
    "start_on",
    "attachments",
    "contact",
]
"""Fields an instructor may ask to correct. `description` and `contact` stay in intake but may be named."""

CorrectionReason = Literal[
    "missing_information", "invalid_identifier", "budget_inconsistent", "missing_attachment", "other"
]

IneligibilityReason = Literal[
    "legal_form_outside_ess",
    "commercial_company_without_esus",
    "outside_region",
    "outside_strategy_scope",
    "other",
]

DeclineReason = Literal["out_of_scope", "no_capacity", "territory_not_covered", "other"]

WithdrawalReason = Literal["holder_request", "project_abandoned", "funded_elsewhere", "other"]

ClosureReason = Literal["completed", "ineligible", "no_response", "duplicate", "other"]

# --- field helpers ------------------------------------------------------------------------------------------

_H = TypeVar("_H", bound=Hashable)


def _distinct(values: tuple[_H, ...]) -> tuple[_H, ...]:
    if len(set(values)) != len(values):
        raise ValueError("items must be distinct")
    return values


Distinct = AfterValidator(_distinct)
"""Refuses duplicates in a tuple field (use: `Annotated[tuple[X, ...], Distinct]`)."""

Count = Annotated[int, Field(strict=True, ge=0)]
"""A non-negative whole number (jobs, bytes): strict, so neither a float nor a numeric string slips in."""

MediaType = Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]{1,100}$")]

TITLE_FIELD = "project.title"
"""The field a project's title is sealed under: its box opens only for this project and field."""

Title = Sealed
"""A project's title: free text a holder may fill with personal data, so it travels sealed (at most 200
characters once opened: intake checks it before sealing)."""


class Frozen(BaseModel):
    """Base of nested value objects: frozen and closed like the payloads."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- value objects ------------------------------------------------------------------------------------------


class Organisation(Frozen):
    """The project holder as an organisation. `name` is a legal person's registered name (absent before
    version 3, and always for a form that may be a sole trader); `rna` an association's RNA number."""

    name: RegisteredName | None = None
    siret: Siret | None = None
    rna: Rna | None = None
    being_created: bool = False
    legal_form: LegalForm
    esus_agreement: bool = False
    department: Department
    epci_siren: Siren | None = None

    @model_validator(mode="after")
    def _siret_or_being_created(self) -> Self:
        if (self.siret is None) != self.being_created:
            raise ValueError("give a SIRET, or no SIRET with being_created true")
        if self.name is not None and self.legal_form not in LEGAL_PERSON_FORMS:
            raise ValueError(f"a {self.legal_form!r} holder may be a person: its name stays in intake")
        if self.rna is not None and self.legal_form != "association":
            raise ValueError("only an association has an RNA number")
        return self


class BudgetLine(Frozen):
    """An expense line; `code` is how funding refers to it (eligible lines, lines covered by a decision)."""

    code: Token
    category: BudgetCategory
    amount: Cents


class Budget(Frozen):
    total: Cents
    lines: Annotated[tuple[BudgetLine, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _lines_sum_to_total(self) -> Self:
        _distinct(tuple(line.code for line in self.lines))
        if sum(line.amount for line in self.lines) != self.total:
            raise ValueError("budget lines must sum to the total")
        return self


class ProjectDetails(Frozen):
    title: Title
    stage: ProjectStage
    third_place: bool
    needs: Annotated[tuple[Need, ...], Field(min_length=1), Distinct]
    budget: Budget
    planned_jobs: Count
    start_on: date


class Attachment(Frozen):
    """An attachment as the bus knows it: its hash, type and size. The bytes and file name stay in intake."""

    sha256: Sha256
    kind: AttachmentKind
    media_type: MediaType
    size_bytes: Annotated[int, Field(strict=True, ge=1)]


Attachments = Annotated[tuple[Attachment, ...], Field(max_length=50)]

# --- project events -----------------------------------------------------------------------------------------


class _ProjectEvent(Payload):
    SERVICE: ClassVar[ServiceName] = "intake"
    AGGREGATE: ClassVar[AggregateKind] = "project"


class ProjectSubmitted(_ProjectEvent):
    VERSION: ClassVar[int] = 3  # 2: the title travels sealed; 3: a legal person's name and RNA number
    type: Literal["project_submitted"] = "project_submitted"
    submitted_on: date
    channel: SubmissionChannel
    via_network: Token | None = None
    organisation: Organisation
    project: ProjectDetails
    attachments: Attachments = ()

    @model_validator(mode="after")
    def _network_channel(self) -> Self:
        if (self.channel == "network") != (self.via_network is not None):
            raise ValueError("via_network is given exactly when the channel is network")
        return self


class ProjectCorrectionRequested(_ProjectEvent):
    """An instructor's request; the remark they write stays in intake, the bus gets fields and reasons."""

    type: Literal["project_correction_requested"] = "project_correction_requested"
    request_id: Token
    requested_on: date
    fields: Annotated[tuple[CorrectableField, ...], Field(min_length=1), Distinct]
    reasons: Annotated[tuple[CorrectionReason, ...], Field(min_length=1), Distinct]
    answer_by: date | None = None


class ProjectCorrected(_ProjectEvent):
    """The full corrected data, replacing the submitted one (not a diff: a fold never merges partial data)."""

    VERSION: ClassVar[int] = 3  # 2: the title travels sealed; 3: a legal person's name and RNA number
    type: Literal["project_corrected"] = "project_corrected"
    corrected_on: date
    answers_request: Token | None = None
    organisation: Organisation
    project: ProjectDetails
    attachments: Attachments = ()


class ProjectQualified(_ProjectEvent):
    """Qualification against the strategy. An ineligible project is qualified too, with its reasons."""

    type: Literal["project_qualified"] = "project_qualified"
    qualified_on: date
    objectives: Annotated[tuple[ObjectiveCode, ...], Distinct]
    department: Department
    epci_siren: Siren | None = None
    eligible: bool
    ineligibility_reasons: Annotated[tuple[IneligibilityReason, ...], Distinct] = ()

    @model_validator(mode="after")
    def _reasons_iff_ineligible(self) -> Self:
        if self.eligible == bool(self.ineligibility_reasons):
            raise ValueError("an ineligible project has reasons, an eligible one none")
        if self.eligible and not self.objectives:
            raise ValueError("an eligible project serves at least one objective")
        return self


class ProjectOriented(_ProjectEvent):
    """Orientation to support networks (O6/O7); a later orientation adds networks, it does not replace."""

    type: Literal["project_oriented"] = "project_oriented"
    oriented_on: date
    network_ids: Annotated[tuple[Token, ...], Field(min_length=1), Distinct]


class ProjectOrientationAccepted(_ProjectEvent):
    type: Literal["project_orientation_accepted"] = "project_orientation_accepted"
    network_id: Token
    accepted_on: date


class ProjectOrientationDeclined(_ProjectEvent):
    type: Literal["project_orientation_declined"] = "project_orientation_declined"
    network_id: Token
    declined_on: date
    reason: DeclineReason


class ProjectWithdrawn(_ProjectEvent):
    """The holder withdraws the project."""

    type: Literal["project_withdrawn"] = "project_withdrawn"
    withdrawn_on: date
    reason: WithdrawalReason


class ProjectClosed(_ProjectEvent):
    """Intake closes the file; `duplicate_of` names the open project it duplicated, if that is the reason."""

    type: Literal["project_closed"] = "project_closed"
    closed_on: date
    reason: ClosureReason
    duplicate_of: Token | None = None

    @model_validator(mode="after")
    def _duplicate_names_project(self) -> Self:
        if (self.reason == "duplicate") != (self.duplicate_of is not None):
            raise ValueError("duplicate_of is given exactly when the reason is duplicate")
        return self


# --- network directory --------------------------------------------------------------------------------------


class _NetworkEvent(Payload):
    SERVICE: ClassVar[ServiceName] = "intake"
    AGGREGATE: ClassVar[AggregateKind] = "network"


class NetworkRegistered(_NetworkEvent):
    """A support network joins the directory. Its name is an organisation's, not a person's."""

    type: Literal["network_registered"] = "network_registered"
    registered_on: date
    name: Annotated[Text, Field(min_length=1, max_length=120)]
    siret: Siret | None = None
    stages: Annotated[tuple[ProjectStage, ...], Field(min_length=1), Distinct]
    needs: Annotated[tuple[Need, ...], Field(min_length=1), Distinct]
    departments: Annotated[tuple[Department, ...], Field(min_length=1), Distinct]


class NetworkUpdated(_NetworkEvent):
    """The full directory entry as it now stands; `active` false takes the network out of orientation."""

    type: Literal["network_updated"] = "network_updated"
    updated_on: date
    name: Annotated[Text, Field(min_length=1, max_length=120)]
    siret: Siret | None = None
    stages: Annotated[tuple[ProjectStage, ...], Field(min_length=1), Distinct]
    needs: Annotated[tuple[Need, ...], Field(min_length=1), Distinct]
    departments: Annotated[tuple[Department, ...], Field(min_length=1), Distinct]
    active: bool = True


class ProjectErasureRequested(_ProjectEvent):
    """A person asked for their data to be erased (GDPR art. 17): the intake that holds the file says so,
    and every service of every pilot destroys the data keys of its own texts about the project, each
    signing a `project_data_key_destroyed`. No personal data: who asked stays in intake."""

    type: Literal["project_erasure_requested"] = "project_erasure_requested"
    request_id: Token
    requested_on: date


IntakePayload = (
    ProjectSubmitted
    | ProjectErasureRequested
    | ProjectCorrectionRequested
    | ProjectCorrected
    | ProjectQualified
    | ProjectOriented
    | ProjectOrientationAccepted
    | ProjectOrientationDeclined
    | ProjectWithdrawn
    | ProjectClosed
    | NetworkRegistered
    | NetworkUpdated
)
