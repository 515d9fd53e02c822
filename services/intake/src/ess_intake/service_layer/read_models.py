"""What reading a project answers: the full file for those who may see it, the holder's follow page,
the history, the list of projects no network accepted in time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ess_intake.domain.records import Status


class OrganisationView(BaseModel):
    name: str
    siret: str | None
    rna: str | None = None
    being_created: bool
    legal_form: str
    esus_agreement: bool
    department: str
    epci_siren: str | None


class ContactView(BaseModel):
    name: str | None
    email: str | None
    phone: str | None
    erased_on: date | None


class BudgetLineView(BaseModel):
    code: str
    label: str
    category: str
    amount: Decimal


class ProjectPart(BaseModel):
    title: str
    description: str
    stage: str
    third_place: bool
    needs: list[str]
    budget_total: Decimal
    budget_lines: list[BudgetLineView]
    planned_jobs: int
    start_on: date


class AttachmentView(BaseModel):
    sha256: str
    file_name: str
    kind: str
    media_type: str
    size_bytes: int


class QualificationView(BaseModel):
    eligible: bool
    objectives: list[str]
    ineligibility_reasons: list[str]
    qualified_on: date


class OrientationView(BaseModel):
    network_id: str
    network_name: str
    oriented_on: date
    answer: str | None
    answered_on: date | None
    decline_reason: str | None


class OrientedProject(BaseModel):
    """A project oriented to a network, as its list shows it: enough to choose; the file is read apart."""

    project_id: str
    network_id: str
    network_name: str
    title: str
    status: Status
    department: str
    stage: str
    needs: list[str]
    third_place: bool
    oriented_on: date
    answer: str | None
    answered_on: date | None
    decline_reason: str | None


class CorrectionRequestView(BaseModel):
    request_id: str
    requested_on: date
    fields: list[str]
    reasons: list[str]
    remark: str | None
    answer_by: date | None
    answered_on: date | None


class ProjectFile(BaseModel):
    project_id: str
    status: Status
    channel: str
    via_network: str | None
    submitted_on: date
    ended_on: date | None
    end_reason: str | None
    organisation: OrganisationView
    contact: ContactView
    project: ProjectPart
    attachments: list[AttachmentView]
    qualification: QualificationView
    orientations: list[OrientationView]
    correction_requests: list[CorrectionRequestView]


class FollowPage(BaseModel):
    """What the private link shows: status and what is asked of the holder, no contact data."""

    project_id: str
    title: str
    status: Status
    submitted_on: date
    eligible: bool
    objectives: list[str]
    orientations: list[OrientationView]
    pending_request: CorrectionRequestView | None


class HistoryEntry(BaseModel):
    sequence: int
    type: str
    event_id: str
    occurred_at: datetime
    payload: dict[str, Any]


class UnacceptedProject(BaseModel):
    project_id: str
    waiting_since: date
    days_waiting: int


class UnacceptedReport(BaseModel):
    as_of: date
    delay_days: int
    projects: list[UnacceptedProject]


class NetworkEntry(BaseModel):
    network_id: str
    name: str
    siret: str | None
    stages: list[str]
    needs: list[str]
    departments: list[str]
    active: bool
    account: str | None
    email: str | None
    registered_on: date
    updated_on: date


class AccessLogEntry(BaseModel):
    """One read of a project's personal data: when, by whom (the reader's pilot and its token's subject,
    an id its own identity provider gives), which fields."""

    entry: int
    read_at: str
    reader_pilot: str
    reader: str
    project_id: str
    fields: list[str]
