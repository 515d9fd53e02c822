"""project view: orientation to networks and follow-up reviews

Revision ID: 0003
Revises: dec3edc11ffe
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "dec3edc11ffe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "view_project_orientation",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("oriented_on", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False, comment="pending | accepted | declined"),
        sa.Column("answered_on", sa.String(length=10), nullable=True),
        sa.Column("decline_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "network_id", name=op.f("pk_view_project_orientation")),
    )
    op.create_table(
        "view_project_review",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("pilot", sa.String(length=16), nullable=False),
        sa.Column("milestone_months", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.String(length=10), nullable=False),
        sa.Column("still_operating", sa.Boolean(), nullable=False),
        sa.Column("jobs_created", sa.Integer(), nullable=False),
        sa.Column("jobs_kept", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "pilot", "milestone_months", name=op.f("pk_view_project_review")),
    )


def downgrade() -> None:
    op.drop_table("view_project_review")
    op.drop_table("view_project_orientation")
