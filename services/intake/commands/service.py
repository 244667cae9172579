"""The commands' use cases: send one to its owning service through the outbox and remember it as pending, unless
it was sent from a view of the case that is out of date.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE
from services.intake.commands.domain import Change, enrolment_date_problem, out_of_date
from services.intake.commands.queries import changes
from services.intake.domain import CommandStatus
from services.intake.tables import Participant, PendingCommand
from services.intake.timeline.domain import CaseVersion
from services.intake.timeline.queries import case_version
from shared.auth import Principal
from shared.contracts import AboutParticipant, EnrolParticipant
from shared.db import SessionMaker, run
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Refused

POLL_SECONDS = 0.05
# Commands checked against a version take the case's row lock first, so that two of them are issued one after the
# other and the second sees the first's command (READ COMMITTED: the count after the wait is a new snapshot's).
_LOCK = text("SELECT 1 FROM participant WHERE id = :p FOR NO KEY UPDATE")


class CaseChanged(Exception):
    """A command was sent from a view of the case that is out of date: nothing was issued."""

    def __init__(self, asked: tuple[CaseVersion, ...], current: CaseVersion, changes: list[Change]) -> None:
        super().__init__(f"the case is at version {current}, not {', '.join(map(str, asked))}")
        self.asked, self.current, self.changes = asked, current, changes


async def check_version(session: AsyncSession, participant: Participant, asked: tuple[CaseVersion, ...] | None) -> None:
    """Lock the case and raise CaseChanged, naming the changes, if it is no longer at a version asked (None: any)."""
    if asked is None:
        return
    await run(session, _LOCK, {"p": participant.id})
    current = await case_version(session, participant.id)
    if out_of_date(asked, current):
        raise CaseChanged(asked, current, await changes(session, participant, max(asked)))


async def issue_command_at(
    session: AsyncSession,
    *,
    participant: Participant,
    command: AboutParticipant,
    principal: Principal,
    asked: tuple[CaseVersion, ...] | None,
) -> CloudEvent:
    """Issue the command if the case is still at a version asked (the API's If-Match, a page's hidden version)."""
    await check_version(session, participant, asked)
    return await issue_command(session, command=command, principal=principal)


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
