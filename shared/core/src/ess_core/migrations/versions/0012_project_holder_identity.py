"""project holder identity

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('view_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_form', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('siret', sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column('rna', sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('view_project', schema=None) as batch_op:
        batch_op.drop_column('rna')
        batch_op.drop_column('siret')
        batch_op.drop_column('organisation_name')
        batch_op.drop_column('legal_form')
