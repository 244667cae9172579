"""participant keys and erasure

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-24 04:40:00.000000

Each participant gets a data key of their own, stored wrapped under a master key (participant_key); erasure deletes
it. Rows from before this revision stay sealed under the single data key they were written with: they are marked
with its id (legacy_key_id, INTAKE_DATA_KEY_ID, k1 by default) and `python -m services.intake.rotate_keys` moves them
to keys of their own. No key is needed to run this migration.
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.create_table('participant_key',
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('master_key_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id')
    )
    op.create_index(op.f('ix_participant_key_master_key_id'), 'participant_key', ['master_key_id'], unique=False)
    op.add_column('participant', sa.Column('legacy_key_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('participant', sa.Column('erased_on', sa.Date(), nullable=True))
    op.add_column('participant', sa.Column('erasure_basis', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('participant', sa.Column('erasure_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    for column in ('cpr_hash', 'cpr_encrypted', 'name_encrypted'):
        op.alter_column('participant', column, existing_type=sa.LargeBinary(), nullable=True)
    # Every existing row is sealed under the one data key of the settings, whose id in the key ring is data_key_id.
    op.execute(
        sa.text("UPDATE participant SET legacy_key_id = :k").bindparams(k=os.environ.get('INTAKE_DATA_KEY_ID', 'k1'))
    )


def downgrade() -> None:
    """Downgrade: only while no participant has a key of their own or was erased (the old code could read neither)."""
    blocked = op.get_bind().execute(
        sa.text("SELECT count(*) FROM participant WHERE legacy_key_id IS NULL OR cpr_encrypted IS NULL")
    ).scalar_one()
    if blocked:
        raise RuntimeError(f"{blocked} participants have keys of their own or were erased: cannot downgrade below 0009")
    for column in ('cpr_hash', 'cpr_encrypted', 'name_encrypted'):
        op.alter_column('participant', column, existing_type=sa.LargeBinary(), nullable=False)
    op.drop_column('participant', 'erasure_note')
    op.drop_column('participant', 'erasure_basis')
    op.drop_column('participant', 'erased_on')
    op.drop_column('participant', 'legacy_key_id')
    op.drop_index(op.f('ix_participant_key_master_key_id'), table_name='participant_key')
    op.drop_table('participant_key')
