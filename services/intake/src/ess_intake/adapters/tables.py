"""The intake service's own tables: the truth of its acts, and everything that stays in intake (the
organisation's name, the contact person, the description, budget labels, files). The shared tables
(outbox journal, projection bookkeeping, shared views) come from ess_core and ess_views."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from ess_core.messaging.schema import NAMING

metadata = MetaData(naming_convention=NAMING)

Day = String(10)  # ISO dates as text: the same bytes on SQLite and PostgreSQL


def _project_fk() -> Column[str]:
    return Column("project_id", String(64), ForeignKey("intake_project.project_id"), nullable=False)


project = Table(
    "intake_project",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("via_network", String(64), nullable=True),
    Column("submitted_by", String(200), nullable=False),
    Column("submitted_on", Day, nullable=False),
    Column("siret", String(14), nullable=True),
    Column("department", String(2), nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("qualified_on", Day, nullable=False),
    Column("objectives", String(64), nullable=False, comment="comma-separated, as last qualified"),
    Column("ineligibility_reasons", String(200), nullable=False),
    Column("oriented_since", Day, nullable=True, comment="first orientation, for the unaccepted query"),
    Column("ended_on", Day, nullable=True),
    Column("end_reason", String(32), nullable=True),
    Column("pending_request", String(64), nullable=True),
    Column("record", Text, nullable=False, comment="JSON of the public record the last event carried"),
    # SHA-256 of SIRET and normalised title while the project is open; NULL once ended or without SIRET.
    # Unique, so two concurrent submissions of one project cannot both open.
    Column("duplicate_key", String(64), nullable=True, unique=True),
)

private = Table(
    "intake_project_private",
    metadata,
    Column("project_id", String(64), ForeignKey("intake_project.project_id"), primary_key=True),
    Column("organisation_name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("budget_labels", Text, nullable=False, comment="JSON object: line code to the holder's label"),
)

contact = Table(
    "intake_contact",
    metadata,
    Column("project_id", String(64), ForeignKey("intake_project.project_id"), primary_key=True),
    Column("name", String(120), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(30), nullable=True),
    Column("erased_on", Day, nullable=True, comment="set when the retention period ended"),
)

attachment = Table(
    "intake_attachment",
    metadata,
    _project_fk(),
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("media_type", String(120), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("project_id", "sha256"),
)

correction_request = Table(
    "intake_correction_request",
    metadata,
    Column("request_id", String(64), primary_key=True),
    _project_fk(),
    Column("requested_on", Day, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("fields", Text, nullable=False, comment="comma-separated CorrectableField values"),
    Column("reasons", Text, nullable=False),
    Column("remark", Text, nullable=True),
    Column("answer_by", Day, nullable=True),
    Column("answered_on", Day, nullable=True),
)

network = Table(
    "intake_network",
    metadata,
    Column("network_id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("siret", String(14), nullable=True),
    Column("stages", Text, nullable=False),
    Column("needs", Text, nullable=False),
    Column("departments", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("account", String(200), nullable=True, index=True),
    Column("email", String(254), nullable=True, comment="where the network is told of new projects"),
    Column("registered_on", Day, nullable=False),
    Column("updated_on", Day, nullable=False),
)

orientation = Table(
    "intake_orientation",
    metadata,
    _project_fk(),
    Column("network_id", String(64), ForeignKey("intake_network.network_id"), nullable=False),
    Column("oriented_on", Day, nullable=False),
    Column("answer", String(16), nullable=True, comment="accepted | declined"),
    Column("answered_on", Day, nullable=True),
    Column("decline_reason", String(32), nullable=True),
    PrimaryKeyConstraint("project_id", "network_id"),
)

idempotency = Table(
    "intake_idempotency",
    metadata,
    Column("principal", String(200), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False, comment="SHA-256 of the request body"),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False, comment="the first answer, replayed to retries"),
    Column("created_at", String(27), nullable=False),
    PrimaryKeyConstraint("principal", "key"),
)

follow_link = Table(
    "intake_follow_link",
    metadata,
    Column("project_id", String(64), ForeignKey("intake_project.project_id"), primary_key=True),
    Column("generation", Integer, nullable=False, comment="0 at submission; each re-issue adds one"),
    Column("issued_on", Day, nullable=False),
    Column("expires_on", Day, nullable=False, comment="the link works until this day, included"),
    Column("revoked_on", Day, nullable=True),
)

ds_dossier = Table(
    "intake_ds_dossier",
    metadata,
    Column("demarche", Integer, nullable=False, comment="the démarche's number on Démarches Simplifiées"),
    Column("number", Integer, nullable=False, comment="the dossier's number on DS"),
    Column("revision", String(40), nullable=False, comment="DS's dateDerniereModification last read"),
    Column("state", String(16), nullable=False, comment="the dossier's state on DS then"),
    Column("project_id", String(64), ForeignKey("intake_project.project_id"), nullable=True),
    Column("fingerprint", String(64), nullable=True, comment="SHA-256 of the submission it mapped to"),
    Column("outcome", String(16), nullable=False, comment="imported, corrected, withdrawn, closed, rejected"),
    Column("reason", Text, nullable=True, comment="why it was rejected, in French, naming the champ"),
    Column("read_at", String(27), nullable=False),
    PrimaryKeyConstraint("demarche", "number"),
)

ds_sync = Table(
    "intake_ds_sync",
    metadata,
    Column("demarche", Integer, primary_key=True),
    Column("feed", String(8), primary_key=True, comment="dossiers, or deleted (DS's deletedDossiers)"),
    Column("since", String(40), nullable=True, comment="the pass's updatedSince (deletedSince)"),
    Column("cursor", Text, nullable=True, comment="after the last page done; none between passes"),
    Column("high_water", String(40), nullable=True, comment="the latest date read in this pass"),
)

ds_run = Table(
    "intake_ds_run",
    metadata,
    Column("demarche", Integer, primary_key=True),
    Column("started_at", String(27), nullable=False),
    Column("finished_at", String(27), nullable=True),
    Column("error", Text, nullable=True),
    Column("counts", Text, nullable=False, comment="JSON: pages, read, imported, corrected, ..."),
)
