"""The audit log's reads: the entries that match a filter, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: each given criterion must hold; the period is [since, until)."""

    participant_id: UUID | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def find_entries(
    session: AsyncSession, wanted: AuditFilter, *, limit: int, before: int | None = None
) -> list[AuditEntry]:
    """The matching entries, newest first, at most `limit` of them, with ids below `before` if given."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if wanted.participant_id is not None:
        query = query.where(AuditEntry.participant_id == wanted.participant_id)
    if wanted.actor is not None:
        query = query.where(AuditEntry.actor == wanted.actor)
    if wanted.action is not None:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.since is not None:
        query = query.where(col(AuditEntry.at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(AuditEntry.at) < wanted.until)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    return list((await session.exec(query)).all())
