"""The evaluation service's tables: the views it folds from the stream (migrated on its own alembic branch,
`ess_evaluation`); the shared tables (outbox journal, projection bookkeeping, shared views) come from
ess_core and ess_views.

Every row holds facts from one issuer's run of events, so its key names the issuing pilot: events of
different issuers touch different rows and commute. What combines issuers (the effective definition of an
action, a project's first commitment) is computed from these rows, never kept as an order-dependent sum.
Values are integers, text or null (docs/digest.md): dates `YYYY-MM-DD`, flags 0/1, lists comma-joined.
"""

from sqlalchemy import BigInteger, Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text

from ess_core.messaging.schema import NAMING

metadata = MetaData(naming_convention=NAMING)


def _date(name: str, nullable: bool = False) -> Column[str]:
    return Column(name, String(10), nullable=nullable)


def _pilot() -> Column[str]:
    return Column("pilot", String(16), nullable=False)


# --- the strategy as data, and what evaluation staff record -------------------------------------------------

action = Table(
    "eval_action",
    metadata,
    Column("code", String(32), nullable=False),
    _pilot(),
    Column("event_id", String(36), nullable=False),
    _date("defined_on"),
    Column("title", String(200), nullable=False),
    Column("lead_pilots", String(64), nullable=False),
    Column("objectives", String(64), nullable=False),
    Column("example", Integer, nullable=False),
    PrimaryKeyConstraint("code", "pilot"),
)

indicator = Table(
    "eval_indicator",
    metadata,
    Column("code", String(32), nullable=False),
    _pilot(),
    Column("event_id", String(36), nullable=False),
    _date("defined_on"),
    Column("title", String(200), nullable=False),
    Column("action_code", String(32), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("scale", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("derivation", String(64), nullable=True),
    Column("example", Integer, nullable=False),
    PrimaryKeyConstraint("code", "pilot"),
)

indicator_target = Table(
    "eval_indicator_target",
    metadata,
    Column("code", String(32), nullable=False),
    _pilot(),
    Column("year", Integer, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("code", "pilot", "year"),
)

measure = Table(
    "eval_measure",
    metadata,
    Column("indicator_code", String(32), nullable=False),
    _pilot(),
    Column("measure_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("action_code", String(32), nullable=False),
    _date("recorded_on"),
    _date("period_start"),
    _date("period_end"),
    Column("value", BigInteger, nullable=False),
    Column("scale", Integer, nullable=False),
    Column("source", String(32), nullable=False),
    Column("remark", String(500), nullable=False),
    PrimaryKeyConstraint("indicator_code", "pilot", "measure_id"),
)

review = Table(
    "eval_review",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("milestone_months", Integer, nullable=False),
    _pilot(),
    Column("event_id", String(36), nullable=False),
    _date("reviewed_on"),
    Column("still_operating", Integer, nullable=False),
    Column("jobs_created", Integer, nullable=False),
    Column("jobs_kept", Integer, nullable=False),
    Column("remark_key", String(64), nullable=True, comment="the remark as it travels, sealed"),
    Column("remark_box", Text, nullable=True),
    PrimaryKeyConstraint("project_id", "milestone_months", "pilot"),
)

session = Table(
    "eval_session",
    metadata,
    Column("session_id", String(64), nullable=False),
    _pilot(),
    Column("event_id", String(36), nullable=False),
    _date("held_on"),
    Column("kind", String(32), nullable=False),
    Column("pilots_present", String(64), nullable=False),
    PrimaryKeyConstraint("session_id", "pilot"),
)

session_item = Table(
    "eval_session_item",
    metadata,
    Column("session_id", String(64), nullable=False),
    _pilot(),
    Column("position", Integer, nullable=False),
    Column("action_code", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", String(500), nullable=False),
    Column("progress", String(16), nullable=True),
    PrimaryKeyConstraint("session_id", "pilot", "position"),
)

report = Table(
    "eval_report",
    metadata,
    Column("report_id", String(64), nullable=False),
    _pilot(),
    Column("event_id", String(36), nullable=False),
    Column("year", Integer, nullable=False),
    _date("published_on"),
    Column("report_sha256", String(64), nullable=False),
    Column("tables_sha256", String(64), nullable=True),
    Column("view_digest", String(64), nullable=True),
    Column("catalogue_version", String(64), nullable=False),
    PrimaryKeyConstraint("report_id", "pilot"),
)

# --- project facts folded from intake and funding events ----------------------------------------------------

project = Table(
    "eval_project",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),  # the intake pilot
    _date("submitted_on"),
    Column("department", String(2), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("third_place", Integer, nullable=False),
    Column("epci_partner", Integer, nullable=False),
    Column("planned_jobs", Integer, nullable=False),
    _date("qualified_on", nullable=True),
    Column("eligible", Integer, nullable=True),
    Column("qualified_objectives", String(64), nullable=False),
    Column("qualified_department", String(2), nullable=True),
    _date("first_oriented_on", nullable=True),
    PrimaryKeyConstraint("project_id", "pilot"),
)

funding_request = Table(
    "eval_funding_request",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("request_id", String(64), nullable=False),
    _date("requested_on"),
    Column("instrument", String(32), nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "request_id"),
)

decision = Table(
    "eval_decision",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("decision_id", String(64), nullable=False),
    _date("decided_on"),
    Column("outcome", String(16), nullable=False),
    Column("instrument", String(32), nullable=False),
    Column("nominal_amount", BigInteger, nullable=False),
    _date("cancelled_on", nullable=True),
    PrimaryKeyConstraint("project_id", "pilot", "decision_id"),
)

commitment = Table(
    "eval_commitment",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("commitment_id", String(64), nullable=False),
    Column("decision_id", String(64), nullable=False),
    _date("committed_on"),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "commitment_id"),
)

disbursement = Table(
    "eval_disbursement",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("disbursement_id", String(64), nullable=False),
    Column("commitment_id", String(64), nullable=False),
    _date("paid_on"),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "disbursement_id"),
)

opinion = Table(
    "eval_opinion",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("opinion_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    _date("given_on"),
    Column("outcome", String(32), nullable=False),
    Column("eligible_total", BigInteger, nullable=False),
    Column("self_financing", BigInteger, nullable=False),
    Column("in_kind", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "opinion_id"),
)

cofunder_line = Table(
    "eval_cofunder_line",
    metadata,
    Column("project_id", String(64), nullable=False),
    _pilot(),
    Column("line_id", String(64), nullable=False),
    _date("declared_on"),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    PrimaryKeyConstraint("project_id", "pilot", "line_id"),
)

review_due = Table(
    "eval_review_due",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("milestone_months", Integer, nullable=False),
    _date("first_committed_on"),
    _date("due_on"),
    PrimaryKeyConstraint("project_id", "milestone_months"),
)
"""Recomputed from every pilot's commitments and decisions of the project at each change: a function of
the rows, so of the set of events."""

review_reminder = Table(
    "eval_review_reminder",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("milestone_months", Integer, nullable=False),
    Column("stage", String(8), nullable=False, comment="due | overdue"),
    _date("as_of"),
    Column("event_id", String(36), nullable=False),
    PrimaryKeyConstraint("project_id", "milestone_months", "stage"),
)
"""This pilot's own acts, not a view (a rebuild keeps it): the reminders its scheduler published, once
per project, milestone and stage (`project_review_due`)."""
