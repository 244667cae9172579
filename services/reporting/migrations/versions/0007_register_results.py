"""each programme's setting of what a register's six-month finding does (verify until enrolment publishes it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.add_column(
        "catalogue_programme",
        sa.Column("register_results", sa.String(length=10), nullable=False, server_default="verify"),
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_column("catalogue_programme", "register_results")
