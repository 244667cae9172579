"""a check's status and an erasure notice's basis kept to their values

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # The values are the ones the code has always written (services.followup.domain.CheckStatus, NoticeBasis), so
    # existing rows satisfy the constraints as they are.
    op.create_check_constraint('ck_deadline_status', 'deadline', "status IN ('open', 'closed')")
    op.create_check_constraint(
        'ck_erasure_notice_basis', 'erasure_notice', "basis IN ('request', 'consent-withdrawn', 'retention')"
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_constraint('ck_erasure_notice_basis', 'erasure_notice', type_='check')
    op.drop_constraint('ck_deadline_status', 'deadline', type_='check')
