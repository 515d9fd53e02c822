"""outbox trace context

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("ess_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "trace_context",
                sa.Text(),
                nullable=True,
                comment="W3C trace context of the act (JSON: traceparent, tracestate) for the relay's message headers, never the signed body; NULL when tracing is off",
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("ess_outbox", schema=None) as batch_op:
        batch_op.drop_column("trace_context")
