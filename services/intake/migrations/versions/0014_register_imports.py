"""register extracts: each import by its digest and progress, and the six-month checks a register has answered

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.create_table(
        "register_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("register_name", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("extract_until", sa.Date(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        sa.CheckConstraint("rows_done <= rows", name="ck_register_import_rows_done"),
    )
    op.create_table(
        "register_observation",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("exit_number", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["register_import.id"]),
        sa.PrimaryKeyConstraint("participant_id", "exit_number"),
    )
    op.create_index("ix_register_observation_import_id", "register_observation", ["import_id"])


def downgrade() -> None:
    """Downgrade."""
    op.drop_index("ix_register_observation_import_id", table_name="register_observation")
    op.drop_table("register_observation")
    op.drop_table("register_import")
