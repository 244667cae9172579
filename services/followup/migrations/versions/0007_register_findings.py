"""a register's finding beside each six-month check, and each programme's setting of what it does (verify until set)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.add_column('deadline', sa.Column('register_finding', sa.String(length=30), nullable=True))
    op.add_column('deadline', sa.Column('register_situation', sa.String(length=40), nullable=True))
    op.add_column(
        'programme_setting',
        sa.Column('register_results', sa.String(length=10), nullable=False, server_default='verify'),
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_column('programme_setting', 'register_results')
    op.drop_column('deadline', 'register_situation')
    op.drop_column('deadline', 'register_finding')
