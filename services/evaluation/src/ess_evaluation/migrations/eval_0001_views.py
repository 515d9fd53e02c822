"""evaluation views: strategy, measures, reviews, sessions, reports, project facts (evaluation tables only)

Revision ID: eval_0001
Revises:
Create Date: 2026-11-26 08:49:13.862862

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "eval_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("ess_evaluation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "eval_action",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("defined_on", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lead_pilots", sa.String(length=64), nullable=False),
        sa.Column("objectives", sa.String(length=64), nullable=False),
        sa.Column("example", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "pilot", name=op.f("pk_eval_action")),
    )
    op.create_table(
        "eval_cofunder_line",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("declared_on", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "line_id", name=op.f("pk_eval_cofunder_line")),
    )
    op.create_table(
        "eval_commitment",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("commitment_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("committed_on", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "commitment_id", name=op.f("pk_eval_commitment")),
    )
    op.create_table(
        "eval_decision",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("decided_on", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("nominal_amount", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_on", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "pilot", "decision_id", name=op.f("pk_eval_decision")),
    )
    op.create_table(
        "eval_disbursement",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("disbursement_id", sa.String(length=64), nullable=False),
        sa.Column("commitment_id", sa.String(length=64), nullable=False),
        sa.Column("paid_on", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "disbursement_id", name=op.f("pk_eval_disbursement")),
    )
    op.create_table(
        "eval_funding_request",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("requested_on", sa.String(length=10), nullable=False),
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "request_id", name=op.f("pk_eval_funding_request")),
    )
    op.create_table(
        "eval_indicator",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("defined_on", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("action_code", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("derivation", sa.String(length=64), nullable=True),
        sa.Column("example", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "pilot", name=op.f("pk_eval_indicator")),
    )
    op.create_table(
        "eval_indicator_target",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", "pilot", "year", name=op.f("pk_eval_indicator_target")),
    )
    op.create_table(
        "eval_measure",
        sa.Column("indicator_code", sa.String(length=32), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("action_code", sa.String(length=32), nullable=False),
        sa.Column("recorded_on", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("period_end", sa.String(length=10), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("remark", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("indicator_code", "pilot", "measure_id", name=op.f("pk_eval_measure")),
    )
    op.create_table(
        "eval_opinion",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("opinion_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("given_on", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("eligible_total", sa.BigInteger(), nullable=False),
        sa.Column("self_financing", sa.BigInteger(), nullable=False),
        sa.Column("in_kind", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "opinion_id", name=op.f("pk_eval_opinion")),
    )
    op.create_table(
        "eval_project",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("submitted_on", sa.String(length=10), nullable=False),
        sa.Column("department", sa.String(length=2), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("third_place", sa.Integer(), nullable=False),
        sa.Column("epci_partner", sa.Integer(), nullable=False),
        sa.Column("planned_jobs", sa.Integer(), nullable=False),
        sa.Column("qualified_on", sa.String(length=10), nullable=True),
        sa.Column("eligible", sa.Integer(), nullable=True),
        sa.Column("qualified_objectives", sa.String(length=64), nullable=False),
        sa.Column("qualified_department", sa.String(length=2), nullable=True),
        sa.Column("first_oriented_on", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "pilot", name=op.f("pk_eval_project")),
    )
    op.create_table(
        "eval_report",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.String(length=10), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.Column("tables_sha256", sa.String(length=64), nullable=True),
        sa.Column("view_digest", sa.String(length=64), nullable=True),
        sa.Column("catalogue_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "pilot", name=op.f("pk_eval_report")),
    )
    op.create_table(
        "eval_review",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("milestone_months", sa.Integer(), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("reviewed_on", sa.String(length=10), nullable=False),
        sa.Column("still_operating", sa.Integer(), nullable=False),
        sa.Column("jobs_created", sa.Integer(), nullable=False),
        sa.Column("jobs_kept", sa.Integer(), nullable=False),
        sa.Column("remark", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "milestone_months", "pilot", name=op.f("pk_eval_review")),
    )
    op.create_table(
        "eval_review_due",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("milestone_months", sa.Integer(), nullable=False),
        sa.Column("first_committed_on", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "milestone_months", name=op.f("pk_eval_review_due")),
    )
    op.create_table(
        "eval_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("pilots_present", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "pilot", name=op.f("pk_eval_session")),
    )
    op.create_table(
        "eval_session_item",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("progress", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("session_id", "pilot", "position", name=op.f("pk_eval_session_item")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("eval_session_item")
    op.drop_table("eval_session")
    op.drop_table("eval_review_due")
    op.drop_table("eval_review")
    op.drop_table("eval_report")
    op.drop_table("eval_project")
    op.drop_table("eval_opinion")
    op.drop_table("eval_measure")
    op.drop_table("eval_indicator_target")
    op.drop_table("eval_indicator")
    op.drop_table("eval_funding_request")
    op.drop_table("eval_disbursement")
    op.drop_table("eval_decision")
    op.drop_table("eval_commitment")
    op.drop_table("eval_cofunder_line")
    op.drop_table("eval_action")
