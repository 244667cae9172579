"""The timeline's reads: a participant's facts in the order they arrived, and their commands still pending."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import CommandStatus
from services.intake.tables import PendingCommand, TimelineEntry


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
