"""The audit log's answers: one entry as the API shows it, and a page of them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.intake.audit.domain import NO_PARTICIPANT
from services.intake.tables import AuditEntry


class AuditEntryOut(BaseModel):
    """One entry of the log."""

    id: int
    at: datetime
    actor: str = Field(description="the user (token subject)")
    roles: list[str] = Field(description="the roles the user held")
    action: str
    participant_id: UUID | None = Field(description="null when the read concerned no participant")
    detail: str | None = Field(description="what exactly was read: an export, a filter")
    hash: str = Field(description="SHA-256 of the entry's content and the previous hash")
    prev_hash: str


class AuditPage(BaseModel):
    """One page of the log, newest first, and where the next (older) page is."""

    items: list[AuditEntryOut]
    next: str | None = Field(description="the next page's path and query; null on the last page")


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    """An entry as the API shows it (the roles as a list; no participant for a read that concerned nobody)."""
    assert entry.id is not None
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        roles=entry.role.split(",") if entry.role else [],
        action=entry.action,
        participant_id=None if entry.participant_id == NO_PARTICIPANT else entry.participant_id,
        detail=entry.detail,
        hash=entry.hash,
        prev_hash=entry.prev_hash,
    )
