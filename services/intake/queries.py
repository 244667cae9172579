"""Intake's reads: a participant as a caseworker may see them, the timeline, a command's answer."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import Participant, PendingCommand, TimelineEntry
from shared.auth import Principal


async def find_participant(session: AsyncSession, participant_id: UUID, *, principal: Principal) -> Participant | None:
    """The participant, if the caseworker's municipality may see it (others get None, answered as 404)."""
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.municipality != principal.municipality:
        return None
    return participant


async def timeline_entries(session: AsyncSession, participant_id: UUID) -> list[TimelineEntry]:
    """The participant's facts in the order intake received them."""
    query = select(TimelineEntry).where(TimelineEntry.participant_id == participant_id).order_by(col(TimelineEntry.id))
    return list((await session.exec(query)).all())


async def pending_commands(session: AsyncSession, participant_id: UUID) -> list[PendingCommand]:
    """The participant's commands still waiting for their answer, oldest first."""
    query = (
        select(PendingCommand)
        .where(PendingCommand.participant_id == participant_id, PendingCommand.status == "pending")
        .order_by(col(PendingCommand.created_at))
    )
    return list((await session.exec(query)).all())
