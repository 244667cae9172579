"""Enrolment's command handlers: load the state, let the domain decide, store the fact or publish a rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment import domain
from services.enrolment.tables import Course, Participation
from shared import contracts
from shared.clock import today_in_copenhagen
from shared.consumer import Handlers
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Rejection
from shared.topics import PARTICIPATION_EVENTS

SOURCE = "rummelig/enrolment"


async def on_enrol(session: AsyncSession, cmd: contracts.EnrolParticipant, event: CloudEvent) -> None:
    """Handle enrolment.enrol-participant: a seat on the course, if the participant is free and there is room."""
    row, state = await _state(session, cmd.participant_id)
    outcome = domain.enrol(state, cmd, await _seats(session, cmd.course_id), today_in_copenhagen())
    await _record(session, event, row, outcome)


async def on_start(session: AsyncSession, cmd: contracts.RecordStart, event: CloudEvent) -> None:
    """Handle participation.record-start."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.start(state, cmd))


async def on_completion(session: AsyncSession, cmd: contracts.RecordCompletion, event: CloudEvent) -> None:
    """Handle participation.record-completion."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.complete(state, cmd))


async def on_drop_out(session: AsyncSession, cmd: contracts.RecordDropOut, event: CloudEvent) -> None:
    """Handle participation.record-drop-out."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.drop_out(state, cmd))


async def on_withdrawal(session: AsyncSession, cmd: contracts.RecordWithdrawal, event: CloudEvent) -> None:
    """Handle participation.record-withdrawal: the seat is freed; no leaving, so nothing to follow up."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.withdraw(state, cmd))


HANDLERS: Handlers = {
    contracts.EnrolParticipant: on_enrol,
    contracts.RecordStart: on_start,
    contracts.RecordCompletion: on_completion,
    contracts.RecordDropOut: on_drop_out,
    contracts.RecordWithdrawal: on_withdrawal,
}


async def _state(
    session: AsyncSession, participant_id: UUID
) -> tuple[Participation | None, domain.ParticipationState | None]:
    # FOR UPDATE: two commands for one participant never interleave, whichever replica handles them
    row = (
        await session.exec(
            select(Participation).where(Participation.participant_id == participant_id).with_for_update()
        )
    ).first()
    if row is None:
        return None, None
    return row, domain.ParticipationState(
        status=row.status, course_id=row.course_id, started_on=row.started_on, enrolled_on=row.enrolled_on
    )


async def _seats(session: AsyncSession, course_id: str) -> domain.CourseSeats | None:
    course = (await session.exec(select(Course).where(Course.id == course_id).with_for_update())).first()
    if course is None:
        return None
    taken = (
        await session.exec(
            select(func.count())
            .select_from(Participation)
            .where(Participation.course_id == course_id, col(Participation.status).in_(domain.ACTIVE))
        )
    ).one()
    return domain.CourseSeats(course.id, course.programme_id, course.subproject_id, course.capacity, int(taken))


async def _record(
    session: AsyncSession, command: CloudEvent, row: Participation | None, outcome: domain.Fact | Rejection
) -> None:
    """Apply an accepted fact to the participation row; publish the fact or the rejection that answers the command."""
    if isinstance(outcome, Rejection):
        answer: contracts.AboutParticipant = outcome.answering(command)
    else:
        if row is not None and isinstance(outcome, contracts.EnrolmentConfirmed):
            await session.delete(row)  # a new participation replaces a finished one
            await session.flush()
        session.add(_apply(row, outcome))
        answer = outcome
    publish(session, answer, source=SOURCE, cause=command, topic=PARTICIPATION_EVENTS)


def _apply(row: Participation | None, fact: domain.Fact) -> Participation:
    status = domain.next_status(fact)
    if isinstance(fact, contracts.EnrolmentConfirmed):
        return Participation(
            participant_id=fact.participant_id, course_id=fact.course_id, status=status, enrolled_on=fact.enrolled_on
        )
    assert row is not None
    row.status = status
    row.updated_at = datetime.now(UTC)
    if isinstance(fact, contracts.ParticipationStarted):
        row.started_on = fact.started_on
    if isinstance(fact, contracts.ParticipationCompleted | contracts.ParticipationDroppedOut):
        row.left_on = fact.left_on
    if isinstance(fact, contracts.ParticipationDroppedOut):
        row.drop_out_reason = fact.reason
    if isinstance(fact, contracts.ParticipationWithdrawn):
        row.withdrawn_on, row.withdrawal_reason = fact.withdrawn_on, fact.reason
    return row
