"""The timeline's reads: a participant's facts in the order they arrived, their commands still pending, and the
version of the case they make."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import CommandStatus
from services.intake.tables import PendingCommand, TimelineEntry
from services.intake.timeline.domain import NOT_CHANGES, CaseVersion
from shared.db import run


async def timeline_entries(session: AsyncSession, participant_id: UUID) -> list[TimelineEntry]:
    """The participant's facts in the order intake received them."""
    query = select(TimelineEntry).where(TimelineEntry.participant_id == participant_id).order_by(col(TimelineEntry.id))
    return list((await session.exec(query)).all())


async def pending_commands(session: AsyncSession, participant_id: UUID) -> list[PendingCommand]:
    """The participant's commands still waiting for their answer, oldest first."""
    query = (
        select(PendingCommand)
        .where(PendingCommand.participant_id == participant_id, PendingCommand.status == CommandStatus.PENDING)
        .order_by(col(PendingCommand.created_at))
    )
    return list((await session.exec(query)).all())


_VERSION = text(
    "SELECT (SELECT coalesce(max(t.id), 0) FROM timeline_entry t"
    "         WHERE t.participant_id = :p AND t.event_type <> ALL(:not_changes)),"
    "       (SELECT count(*) FROM pending_command c WHERE c.participant_id = :p)"
)


async def case_version(session: AsyncSession, participant_id: UUID) -> CaseVersion:
    """The case's version now: its last fact that changed it, and how many commands were ever issued about it."""
    row = (await run(session, _VERSION, {"p": participant_id, "not_changes": sorted(NOT_CHANGES)})).one()
    return CaseVersion(int(row[0]), int(row[1]))
