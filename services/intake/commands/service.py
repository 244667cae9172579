"""The commands' use cases: send one to its owning service through the outbox and remember it as pending.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE
from services.intake.commands.domain import enrolment_date_problem
from services.intake.domain import CommandStatus
from services.intake.tables import Participant, PendingCommand
from shared.auth import Principal
from shared.contracts import AboutParticipant, EnrolParticipant
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Refused

POLL_SECONDS = 0.05


async def issue_command(session: AsyncSession, *, command: AboutParticipant, principal: Principal) -> CloudEvent:
    """Send a command to the owning service through the outbox and remember it as pending."""
    event = publish(session, command, source=SOURCE)
    session.add(
        PendingCommand(
            id=event.id, participant_id=command.participant_id, command_type=event.type, issued_by=principal.subject
        )
    )
    return event


async def wait_for_answer(sessions: SessionMaker, command_id: UUID, *, seconds: float) -> PendingCommand:
    """The command once its owning service answered, or as it stands when the seconds are up."""
    deadline = time.monotonic() + seconds
    while True:
        async with sessions() as session:
            command = await session.get(PendingCommand, command_id)
        assert command is not None
        if command.status != CommandStatus.PENDING or time.monotonic() >= deadline:
            return command
        await asyncio.sleep(POLL_SECONDS)


def enrolment_of(participant: Participant, course_id: str, enrolled_on: date) -> EnrolParticipant:
    """The enrolment command for the participant, or Refused: no one is enrolled before they were referred."""
    problem = enrolment_date_problem(enrolled_on, referred_on=participant.referred_on)
    if problem:
        raise Refused(problem)
    return EnrolParticipant(
        participant_id=participant.id,
        programme_id=participant.programme_id,
        course_id=course_id,
        enrolled_on=enrolled_on,
    )
