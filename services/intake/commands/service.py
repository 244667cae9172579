"""The commands' use cases: send one to its owning service through the outbox and remember it as pending, unless
it was sent from a view of the case that is out of date; once per Idempotency-Key, whichever adapter (API or page).

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE, idempotency
from services.intake.commands.domain import Change, enrolment_date_problem, out_of_date
from services.intake.commands.queries import changes
from services.intake.commands.schemas import (
    CompletionIn,
    DropOutIn,
    DropOutReasonCorrectionIn,
    EnrolIn,
    LeavingDateCorrectionIn,
    LeavingOutcomeIn,
    SixMonthResultIn,
    StartCorrectionIn,
    StartIn,
    WithdrawalIn,
)
from services.intake.deps import erased_rejection, visible_participant
from services.intake.domain import CommandStatus
from services.intake.tables import Participant, PendingCommand
from services.intake.timeline.domain import CaseVersion
from services.intake.timeline.queries import case_version
from shared import contracts
from shared.auth import Principal
from shared.contracts import AboutParticipant, EnrolParticipant
from shared.db import SessionMaker, run
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Refused, Rejection

POLL_SECONDS = 0.05
# Commands checked against a version take the case's row lock first, so that two of them are issued one after the
# other and the second sees the first's command (READ COMMITTED: the count after the wait is a new snapshot's).
_LOCK = text("SELECT 1 FROM participant WHERE id = :p FOR NO KEY UPDATE")


class CaseChanged(Exception):
    """A command was sent from a view of the case that is out of date: nothing was issued."""

    def __init__(self, asked: tuple[CaseVersion, ...], current: CaseVersion, changes: list[Change]) -> None:
        super().__init__(f"the case is at version {current}, not {', '.join(map(str, asked))}")
        self.asked, self.current, self.changes = asked, current, changes


class CaseErased(Exception):
    """The participant's personal data were erased: nothing more is recorded about them (409)."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.detail)
        self.rejection = rejection


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
            id=event.id,
            participant_id=command.participant_id,
            command_type=event.type,
            issued_by=principal.subject,
            issuer_roles=",".join(sorted(principal.roles)),
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


Build = Callable[[Participant, Any, date], AboutParticipant]
# Each command route's path under /participants/{id}/, its body, and the command the body makes: the API's routes and
# the pages' forms send exactly these.
COMMANDS: dict[str, tuple[type[Any], Build]] = {
    "enrolment": (EnrolIn, lambda p, b, today: enrolment_of(p, b.course_id, b.enrolled_on or today)),
    "start": (StartIn, lambda p, b, _: contracts.RecordStart(participant_id=p.id, started_on=b.started_on)),
    "completion": (
        CompletionIn,
        lambda p, b, _: contracts.RecordCompletion(participant_id=p.id, completed_on=b.completed_on),
    ),
    "drop-out": (
        DropOutIn,
        lambda p, b, _: contracts.RecordDropOut(participant_id=p.id, dropped_out_on=b.dropped_out_on, reason=b.reason),
    ),
    "withdrawal": (
        WithdrawalIn,
        lambda p, b, _: contracts.RecordWithdrawal(participant_id=p.id, withdrawn_on=b.withdrawn_on, reason=b.reason),
    ),
    "corrections/start": (
        StartCorrectionIn,
        lambda p, b, _: contracts.CorrectStart(
            participant_id=p.id, started_on=b.started_on, correction_reason=b.correction_reason
        ),
    ),
    "corrections/leaving-date": (
        LeavingDateCorrectionIn,
        lambda p, b, _: contracts.CorrectLeavingDate(
            participant_id=p.id, left_on=b.left_on, correction_reason=b.correction_reason
        ),
    ),
    "corrections/drop-out-reason": (
        DropOutReasonCorrectionIn,
        lambda p, b, _: contracts.CorrectDropOutReason(
            participant_id=p.id, drop_out_reason=b.drop_out_reason, correction_reason=b.correction_reason
        ),
    ),
    "leaving-outcome": (
        LeavingOutcomeIn,
        lambda p, b, _: contracts.RecordLeavingOutcome(
            participant_id=p.id,
            situation=b.situation,
            qualification_gained=b.qualification_gained,
            observed_on=b.observed_on,
        ),
    ),
    "six-month-result": (
        SixMonthResultIn,
        lambda p, b, _: contracts.RecordSixMonthResult(
            participant_id=p.id, situation=b.situation, improvement=b.improvement, observed_on=b.observed_on
        ),
    ),
}


async def send_command(
    session: AsyncSession,
    *,
    principal: Principal,
    participant_id: UUID,
    path: str,
    body: Any,
    idempotency_key: str | None,
    asked: tuple[CaseVersion, ...] | None,
    today: date,
) -> UUID:
    """Issue the command a route's body makes, once per Idempotency-Key and only if the case is still at a version
    asked; the command's id. Raises CaseErased, Refused (intake's own refusal), CaseChanged (nothing issued)."""
    request = idempotency.fingerprint("POST", f"/participants/{participant_id}/{path}", body.model_dump(mode="json"))
    participant = await visible_participant(session, participant_id, principal)
    if participant.erased_on is not None:
        raise CaseErased(erased_rejection(participant))
    first = await idempotency.earlier(session, principal, idempotency_key, request)
    if first is not None and first.command_id is not None:
        # the same command again: its answer, not a second command (nor a conflict with itself: the first one changed
        # the version its If-Match names)
        return first.command_id
    command = COMMANDS[path][1](participant, body, today)
    issued = await issue_command_at(session, participant=participant, command=command, principal=principal, asked=asked)
    await idempotency.remember(session, principal, idempotency_key, request, command_id=issued.id)
    return issued.id
