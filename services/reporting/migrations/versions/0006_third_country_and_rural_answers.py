"""third-country nationals and participants from rural areas (ESF+), answered at referral as the disadvantages are

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWERS = "('yes', 'no', 'refused', 'not-asked')"  # services.reporting.domain.Answer
COLUMNS = ('third_country_national', 'rural_area')


def upgrade() -> None:
    """Upgrade."""
    for column in COLUMNS:
        op.add_column('participant_progress', sa.Column(column, sa.String(length=10), nullable=True))
        op.create_check_constraint(f'ck_participant_progress_{column}', 'participant_progress', f'{column} IN {ANSWERS}')


def downgrade() -> None:
    """Downgrade."""
    for column in reversed(COLUMNS):
        op.drop_constraint(f'ck_participant_progress_{column}', 'participant_progress', type_='check')
        op.drop_column('participant_progress', column)
