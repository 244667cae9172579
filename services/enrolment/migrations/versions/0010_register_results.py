"""a programme's setting of what a register's six-month finding does (verify, decide, off); verify until set

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.add_column(
        "programme",
        sa.Column("register_results", sa.String(length=10), nullable=False, server_default="verify"),
    )
    op.create_check_constraint(
        "ck_programme_register_results", "programme", "register_results IN ('verify', 'decide', 'off')"
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_constraint("ck_programme_register_results", "programme")
    op.drop_column("programme", "register_results")
