"""a course's title and place in intake's catalogue read model, for the pages' course choices and provider lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # Empty until enrolment publishes the course again (a course.published v1 record never said): pages show the id.
    op.add_column("catalogue_course", sa.Column("title", sa.String(length=200), nullable=True))
    op.add_column("catalogue_course", sa.Column("location", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade."""
    op.drop_column("catalogue_course", "location")
    op.drop_column("catalogue_course", "title")
