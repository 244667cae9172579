"""a participant's status and erasure basis and a pending command's status kept to their values

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values of ParticipantStatus, ErasureGround and CommandStatus (services.intake.domain) as they are today, written
# out: a migration must not change with the code.
PARTICIPANT_STATUSES = ('active', 'erased')
ERASURE_BASES = ('request', 'consent-withdrawn', 'retention')
COMMAND_STATUSES = ('pending', 'accepted', 'rejected')


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f'{column} IN (' + ', '.join(f"'{v}'" for v in values) + ')'


def upgrade() -> None:
    """Upgrade."""
    # Every value intake has ever written is one of these, so existing rows satisfy the constraints (a NULL
    # erasure_basis, a participant not erased, passes its CHECK).
    op.create_check_constraint('ck_participant_status', 'participant', _one_of('status', PARTICIPANT_STATUSES))
    op.create_check_constraint(
        'ck_participant_erasure_basis', 'participant', _one_of('erasure_basis', ERASURE_BASES)
    )
    op.create_check_constraint('ck_pending_command_status', 'pending_command', _one_of('status', COMMAND_STATUSES))


def downgrade() -> None:
    """Downgrade."""
    op.drop_constraint('ck_pending_command_status', 'pending_command', type_='check')
    op.drop_constraint('ck_participant_erasure_basis', 'participant', type_='check')
    op.drop_constraint('ck_participant_status', 'participant', type_='check')
