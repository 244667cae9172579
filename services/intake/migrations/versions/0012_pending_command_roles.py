"""the roles a command's issuer held when they issued it, kept with the command

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # Null for the commands issued before: their issuer's roles are still read from the audit log as before.
    op.add_column("pending_command", sa.Column("issuer_roles", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade."""
    op.drop_column("pending_command", "issuer_roles")
