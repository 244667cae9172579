"""the administrator pages' web sessions (as intake's 0011): only a hash of each session id, the claims, the CSRF token and the times

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade."""
    # The id itself is only ever in the browser's cookie: a copy of this table does not sign anybody in.
    op.create_table(
        "page_session",
        sa.Column("id_hash", sa.LargeBinary(), nullable=False),
        sa.Column("claims", postgresql.JSONB(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    # sign-in sweeps the sessions left idle
    op.create_index("ix_page_session_last_seen_at", "page_session", ["last_seen_at"])


def downgrade() -> None:
    """Downgrade."""
    op.drop_index("ix_page_session_last_seen_at", table_name="page_session")
    op.drop_table("page_session")
