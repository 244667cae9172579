"""how many reminders were sent for a check, so that the first one sent is number 1 even when the schedule's first
reminder was missed (a check found long overdue gets only its latest reminder)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # Existing checks: the reminders their steps passed, as they were numbered before (both checks' schedules open
    # with their two reminders; a missed first one counted). New ones start at 0, however they are written.
    op.add_column('deadline', sa.Column('reminders_sent', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE deadline SET reminders_sent = LEAST(step, 2)")


def downgrade() -> None:
    """Downgrade."""
    op.drop_column('deadline', 'reminders_sent')
