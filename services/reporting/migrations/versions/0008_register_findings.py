"""a register's six-month finding on each participant's record: which exit, what it found, what it counts as

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # nullable, no default: adding them rewrites nothing, and the figures' definitions change with them, so the
    # service counts every figure again when it starts (services.reporting.figure_cube.ensure_cube)
    op.add_column("participant_progress", sa.Column("register_exit", sa.Integer(), nullable=True))
    op.add_column("participant_progress", sa.Column("register_finding", sa.String(length=40), nullable=True))
    op.add_column("participant_progress", sa.Column("register_situation", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Downgrade."""
    op.drop_column("participant_progress", "register_situation")
    op.drop_column("participant_progress", "register_finding")
    op.drop_column("participant_progress", "register_exit")
