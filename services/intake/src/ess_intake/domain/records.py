"""A project as intake holds it, and the part of it that may travel: the contracts' value objects
carry identifiers and structured data only, never the contact, description, names or file bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ess_contracts import intake
from ess_contracts.sealing import Sealed
from ess_intake.domain.files import AttachmentUpload
from ess_intake.domain.money import to_cents
from ess_intake.domain.submission import OrganisationInput, ProjectInput, line_codes

Status = Literal["qualified", "ineligible", "correction_requested", "withdrawn", "closed"]
ENDED: frozenset[str] = frozenset({"withdrawn", "closed"})


def public_organisation(org: OrganisationInput) -> intake.Organisation:
    """A legal person's registered name travels (public company data); a possible sole trader's does not."""
    return intake.Organisation(
        name=org.name if org.legal_form in intake.LEGAL_PERSON_FORMS else None,
        siret=org.siret,
        rna=org.rna,
        being_created=org.being_created,
        legal_form=org.legal_form,
        esus_agreement=org.esus_agreement,
        department=org.department,
        epci_siren=org.epci_siren,
    )


def public_details(project: ProjectInput, title: Sealed) -> intake.ProjectDetails:
    """The project's public part; its title sealed by the caller, which holds the data key."""
    lines = tuple(
        intake.BudgetLine(code=code, category=item.category, amount=to_cents(item.amount))
        for code, item in zip(line_codes(project.budget.lines), project.budget.lines, strict=True)
    )
    return intake.ProjectDetails(
        title=title,
        stage=project.stage,
        third_place=project.third_place,
        needs=project.needs,
        budget=intake.Budget(total=to_cents(project.budget.total), lines=lines),
        planned_jobs=project.planned_jobs,
        start_on=project.start_on,
    )


def public_attachment(upload: AttachmentUpload) -> intake.Attachment:
    return intake.Attachment(
        sha256=upload.sha256, kind=upload.kind, media_type=upload.media_type, size_bytes=len(upload.content)
    )


def budget_labels(project: ProjectInput) -> dict[str, str]:
    """Labels are the holder's words: they stay in intake, keyed by the code that travels."""
    return dict(zip(line_codes(project.budget.lines), (i.label for i in project.budget.lines), strict=True))


class PublicRecord(BaseModel):
    """The current dossier as the bus knows it: what the last submission or correction carried."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: intake.Organisation
    project: intake.ProjectDetails
    attachments: tuple[intake.Attachment, ...] = ()


@dataclass(frozen=True)
class ProjectState:
    """What the acts on one project decide on."""

    project_id: str
    status: Status
    submitted_by: str
    record: PublicRecord
    eligible: bool
    pending_request: str | None
    oriented_to: frozenset[str]

    @property
    def ended(self) -> bool:
        return self.status in ENDED
