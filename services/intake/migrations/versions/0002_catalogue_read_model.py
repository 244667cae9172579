"""catalogue read model: programmes, sub-projects and courses as enrolment publishes them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 23:38:59.600075
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    op.create_table(
        "catalogue_course",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("subproject_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("municipality", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_catalogue_course_programme_id"), "catalogue_course", ["programme_id"], unique=False)
    op.create_table(
        "catalogue_programme",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("fund", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "catalogue_subproject",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("municipalities", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("target_groups", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_catalogue_subproject_programme_id"), "catalogue_subproject", ["programme_id"], unique=False
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_index(op.f("ix_catalogue_subproject_programme_id"), table_name="catalogue_subproject")
    op.drop_table("catalogue_subproject")
    op.drop_table("catalogue_programme")
    op.drop_index(op.f("ix_catalogue_course_programme_id"), table_name="catalogue_course")
    op.drop_table("catalogue_course")
