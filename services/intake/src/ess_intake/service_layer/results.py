"""What the acts answer: small models the HTTP layer returns as they are (and documents in OpenAPI)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ess_intake.domain.records import Status
from ess_intake.service_layer.read_models import AccessLogEntry, ProjectFile


class Qualified(BaseModel):
    """A project's state after an act that (re)qualified it."""

    project_id: str
    status: Status
    eligible: bool
    objectives: list[str]
    ineligibility_reasons: list[str]
    oriented_to: list[str]


class Submitted(Qualified):
    follow_link: str = ""
    """The holder's private link (path on this service): follow the project, answer corrections."""
    follow_link_expires_on: date | None = None
    """The link works until this day, included; staff can issue a new one."""


class FollowLink(BaseModel):
    """The holder's link after staff issued or revoked it."""

    project_id: str
    follow_link: str | None
    """The new link (path on this service); none once revoked."""
    expires_on: date
    revoked_on: date | None = None


class Acted(BaseModel):
    project_id: str
    status: Status


class CorrectionRequested(Acted):
    request_id: str


class Oriented(BaseModel):
    project_id: str
    oriented_to: list[str]
    """The networks added by this orientation (none when no new network fits)."""


class OrientationAnswered(BaseModel):
    project_id: str
    network_id: str
    answer: str


class NetworkSaved(BaseModel):
    network_id: str
    active: bool


class Erasure(BaseModel):
    as_of: date
    retention_days: int
    erased: list[str]
    """Projects whose contact data was erased now (ended before as_of minus the retention period)."""


class ProjectErasure(BaseModel):
    project_id: str
    destroyed_keys: list[str]
    """The data keys destroyed: every pilot's services mark the texts sealed under them erased."""
    held: list[str] = []
    """Sealed fields this intake keeps for a legal obligation (art. 17(3)(b), its settings say why)."""
    erased: tuple[str, ...]
    """What intake emptied in its own database."""


class SubjectErasure(BaseModel):
    """A person's erasure request, carried out at this intake (GDPR art. 17)."""

    request_id: str
    erased_on: date
    projects: list[ProjectErasure]


class ExportedProject(BaseModel):
    file: ProjectFile
    access_log: list[AccessLogEntry]
    recipients: list[str]
    """Who received what of the project (art. 15(1)(c)), in French."""


class SubjectExport(BaseModel):
    """Everything this intake holds about a person (GDPR art. 15), project by project."""

    subject: str
    exported_on: date
    projects: list[ExportedProject]
