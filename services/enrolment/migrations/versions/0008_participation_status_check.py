"""participation status check

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 23:42:26.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values of ParticipationStatus as they are today, written out: a migration must not change with the code.
STATUSES = ('waiting', 'enrolled', 'started', 'completed', 'dropped-out', 'withdrawn')


def upgrade() -> None:
    """Upgrade."""
    # Every status enrolment has ever written is one of these, so existing rows satisfy the constraint.
    op.create_check_constraint(
        'ck_participation_status',
        'participation',
        'status IN (' + ', '.join(f"'{s}'" for s in STATUSES) + ')',
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_constraint('ck_participation_status', 'participation', type_='check')
