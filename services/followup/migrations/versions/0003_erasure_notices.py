"""erasure notices to caseworkers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.create_table('erasure_notice',
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('case_reference', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('caseworker_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('erased_on', sa.Date(), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('participant_id')
    )
    op.create_index(op.f('ix_erasure_notice_next_at'), 'erasure_notice', ['next_at'], unique=False)


def downgrade() -> None:
    """Downgrade."""
    op.drop_index(op.f('ix_erasure_notice_next_at'), table_name='erasure_notice')
    op.drop_table('erasure_notice')
