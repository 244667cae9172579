"""The timeline's consumer: every fact about a participant goes on their timeline and answers the command it settles.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import CommandStatus
from services.intake.tables import PendingCommand, TimelineEntry
from shared.consumer import Handlers
from shared.contracts import REGISTRY, AboutParticipant, CommandRejected
from shared.envelope import CloudEvent


async def on_fact(session: AsyncSession, fact: AboutParticipant, event: CloudEvent) -> None:
    """Put a fact on its participant's timeline and answer the pending command it settles, if any."""
    data = fact.model_dump(mode="json")
    session.add(
        TimelineEntry(
            participant_id=fact.participant_id,
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.time,
            data=data,
        )
    )
    settled: UUID | None = fact.command_id if isinstance(fact, CommandRejected) else event.causationid
    if settled is not None:
        await session.exec(
            update(PendingCommand)
            .where(
                col(PendingCommand.id) == settled,
                col(PendingCommand.status) == CommandStatus.PENDING,
                # A command can cause facts about others (a withdrawal promotes the first waiting): only a fact about
                # the command's own participant answers it.
                col(PendingCommand.participant_id) == fact.participant_id,
            )
            .values(
                status=CommandStatus.REJECTED if isinstance(fact, CommandRejected) else CommandStatus.ACCEPTED,
                answer_type=event.type,
                answer=data,
                answered_at=datetime.now(UTC),
            )
        )


# Every fact about a participant goes on the timeline (the list comes from the contract registry).
HANDLERS: Handlers = dict.fromkeys(REGISTRY.facts(about=AboutParticipant), on_fact)
