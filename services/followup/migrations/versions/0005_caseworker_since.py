"""when a case's caseworker became responsible, so that an older move does not overwrite a newer one

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # Empty for existing cases: the first move delivered for one of them wins, as nothing newer is known.
    op.add_column('followup_case', sa.Column('caseworker_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade."""
    op.drop_column('followup_case', 'caseworker_since')
