"""disadvantage answers and follow-up check states kept to their values

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# services.reporting.domain.Answer and CheckState: the values the projection has always written (NULL is allowed).
ANSWERS = "('yes', 'no', 'refused', 'not-asked')"
STATES = "('open', 'overdue', 'closed')"
CHECKED = {
    'disability': ANSWERS,
    'migrant': ANSWERS,
    'minority': ANSWERS,
    'homeless': ANSWERS,
    'other_disadvantage': ANSWERS,
    'leaving_check': STATES,
    'six_month_check': STATES,
}


def upgrade() -> None:
    """Upgrade."""
    for column, values in CHECKED.items():
        op.create_check_constraint(f'ck_participant_progress_{column}', 'participant_progress', f'{column} IN {values}')


def downgrade() -> None:
    """Downgrade."""
    for column in reversed(CHECKED):
        op.drop_constraint(f'ck_participant_progress_{column}', 'participant_progress', type_='check')
