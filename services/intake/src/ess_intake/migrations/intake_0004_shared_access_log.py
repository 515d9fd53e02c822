"""one access log in every service: intake's reads move to the shared ess_access_log

Revision ID: intake_0004
Revises: intake_0003
Create Date: 2026-12-03 14:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "intake_0004"
down_revision: str | Sequence[str] | None = "intake_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0006"  # the shared ess_access_log

COLUMNS = "read_at, reader_pilot, reader, project_id, fields"


def upgrade() -> None:
    op.execute(
        f"INSERT INTO ess_access_log ({COLUMNS}) SELECT {COLUMNS} FROM intake_access_log ORDER BY entry"
    )
    with op.batch_alter_table("intake_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_access_log_project_id"))
    op.drop_table("intake_access_log")


def downgrade() -> None:
    op.create_table(
        "intake_access_log",
        sa.Column("entry", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("read_at", sa.String(length=27), nullable=False),
        sa.Column("reader_pilot", sa.String(length=16), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("entry", name=op.f("pk_intake_access_log")),
    )
    with op.batch_alter_table("intake_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_access_log_project_id"), ["project_id"], unique=False)
    op.execute(
        f"INSERT INTO intake_access_log ({COLUMNS}) SELECT {COLUMNS} FROM ess_access_log ORDER BY entry"
    )
