"""audit chain

The audit log becomes a hash chain (services/intake/audit.py): each entry gets a free-text detail, the previous
entry's hash and its own. Entries already written are chained here, in id order, with the same canonical form.
Then a trigger makes the table append-only: UPDATE, DELETE and TRUNCATE are refused.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 04:40:00.000000
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
BATCH = 1000
APPEND_ONLY = (  # one statement each: asyncpg prepares every statement
    """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()
""",
)


def _hash(row: sa.Row, prev: str) -> str:
    # Frozen copy of services.intake.audit.entry_hash as it was at this revision.
    content = {
        "id": row.id,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row.actor,
        "roles": row.role,
        "action": row.action,
        "participant_id": str(row.participant_id),
        "detail": None,
        "prev": prev,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_existing_entries() -> None:
    connection = op.get_bind()
    select = sa.text(
        "SELECT id, at, actor, role, action, participant_id FROM audit_entry WHERE id > :after ORDER BY id LIMIT :n"
    )
    update = sa.text("UPDATE audit_entry SET prev_hash = :prev, hash = :hash WHERE id = :id")
    prev, after = GENESIS, 0
    while rows := connection.execute(select, {"after": after, "n": BATCH}).all():
        chained = []
        for row in rows:
            own = _hash(row, prev)
            chained.append({"id": row.id, "prev": prev, "hash": own})
            prev, after = own, row.id
        connection.execute(update, chained)


def upgrade() -> None:
    """Upgrade."""
    op.add_column('audit_entry', sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('audit_entry', sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('audit_entry', sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    # no entry may be appended while the existing ones are chained (services.intake.audit takes the same lock)
    op.execute("SELECT pg_advisory_xact_lock(72011008)")
    _chain_existing_entries()
    op.alter_column('audit_entry', 'prev_hash', nullable=False)
    op.alter_column('audit_entry', 'hash', nullable=False)
    op.create_index('ix_audit_entry_actor_id', 'audit_entry', ['actor', 'id'], unique=False)
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade."""
    op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
    op.drop_index('ix_audit_entry_actor_id', table_name='audit_entry')
    op.drop_column('audit_entry', 'hash')
    op.drop_column('audit_entry', 'prev_hash')
    op.drop_column('audit_entry', 'detail')
