"""incremental digests

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('ess_digest_state',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('lthash', sa.LargeBinary(), nullable=False, comment="the table's LtHash16 state, 2 KiB"),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_ess_digest_state'))
    )
    op.create_table('ess_digest_row',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False, comment="the row's primary key as a JSON array"),
    sa.Column('digest', sa.LargeBinary(), nullable=False, comment="SHA-256 of the row's canonical bytes"),
    sa.PrimaryKeyConstraint('table_name', 'row_key', name=op.f('pk_ess_digest_row'))
    )
    op.create_table('ess_digest_dirty',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False, comment="as the database's trigger wrote it (JSON array)"),
    sa.PrimaryKeyConstraint('table_name', 'row_key', name=op.f('pk_ess_digest_dirty'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('ess_digest_dirty')
    op.drop_table('ess_digest_row')
    op.drop_table('ess_digest_state')
