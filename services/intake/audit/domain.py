"""The audit log's fixed points, pure."""

from __future__ import annotations

from uuid import UUID

NO_PARTICIPANT = UUID(int=0)  # the participant of a read that concerned nobody (the column cannot be empty)
