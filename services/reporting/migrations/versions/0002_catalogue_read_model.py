"""catalogue read model: programmes, targets and their steps, sub-projects, companies and courses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 23:39:04.351597
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
        "catalogue_company",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("recruited_on", sa.Date(), nullable=False),
        sa.Column("subproject_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_catalogue_company_programme_id"), "catalogue_company", ["programme_id"], unique=False)
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
        sa.Column("operator", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("fund", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("flex_job_counts_as_employment", sa.Boolean(), nullable=False),
        sa.Column("wage_subsidy_counts_as_employment", sa.Boolean(), nullable=False),
        sa.Column("cr04_reading", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("min_cell", sa.Integer(), nullable=False),
        sa.Column("six_month_result_grace_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "catalogue_subproject",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("provider_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("municipalities", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("target_groups", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_catalogue_subproject_programme_id"), "catalogue_subproject", ["programme_id"], unique=False
    )
    op.create_table(
        "catalogue_target",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("subproject_id", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("figure", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_catalogue_target_programme_id"), "catalogue_target", ["programme_id"], unique=False)
    op.create_table(
        "catalogue_target_step",
        sa.Column("target_id", sa.String(length=50), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["catalogue_target.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("target_id", "effective_on"),
    )


def downgrade() -> None:
    """Downgrade."""
    op.drop_table("catalogue_target_step")
    op.drop_index(op.f("ix_catalogue_target_programme_id"), table_name="catalogue_target")
    op.drop_table("catalogue_target")
    op.drop_index(op.f("ix_catalogue_subproject_programme_id"), table_name="catalogue_subproject")
    op.drop_table("catalogue_subproject")
    op.drop_table("catalogue_programme")
    op.drop_index(op.f("ix_catalogue_course_programme_id"), table_name="catalogue_course")
    op.drop_table("catalogue_course")
    op.drop_index(op.f("ix_catalogue_company_programme_id"), table_name="catalogue_company")
    op.drop_table("catalogue_company")
