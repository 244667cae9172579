"""Enrolment's command handlers: load the state, let the domain decide, store the fact or publish a rejection."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment import domain
from services.enrolment.tables import Course, Participation
from shared import contracts
from shared.clock import today_in_copenhagen
from shared.contracts import to_event
from shared.envelope import CloudEvent, parse_data
from shared.kafka import EventHandler
from shared.outbox import add_to_outbox
from shared.topics import PARTICIPATION_EVENTS

SOURCE = "rummelig/enrolment"


async def _state(
    session: AsyncSession, participant_id: object
) -> tuple[Participation | None, domain.ParticipationState | None]:
    # FOR UPDATE: two commands for one participant never interleave, whichever replica handles them
    row = (
        await session.exec(
            select(Participation).where(Participation.participant_id == participant_id).with_for_update()
        )
    ).first()
    if row is None:
        return None, None
    return row, domain.ParticipationState(status=row.status, course_id=row.course_id, started_on=row.started_on)


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


def _answer(session: AsyncSession, command: CloudEvent, outcome: BaseModel | domain.Rejection) -> None:
    if isinstance(outcome, domain.Rejection):
        data: BaseModel = contracts.CommandRejected(
            participant_id=command.subject,
            command_id=command.id,
            command_type=command.type,
            reason=outcome.reason,
            detail=outcome.detail,
        )
    else:
        data = outcome
    add_to_outbox(
        session, to_event(data, source=SOURCE, subject=command.subject, cause=command), topic=PARTICIPATION_EVENTS
    )


def _apply(row: Participation | None, fact: BaseModel) -> Participation:
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
    return row


async def on_enrol(session: AsyncSession, event: CloudEvent) -> None:
    """Handle enrolment.enrol-participant."""
    cmd = parse_data(contracts.EnrolParticipant, event)
    row, state = await _state(session, cmd.participant_id)
    outcome = domain.enrol(state, cmd, await _seats(session, cmd.course_id), today_in_copenhagen())
    await _record(session, event, row, outcome)


async def on_start(session: AsyncSession, event: CloudEvent) -> None:
    """Handle participation.record-start."""
    cmd = parse_data(contracts.RecordStart, event)
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.start(state, cmd))


async def on_completion(session: AsyncSession, event: CloudEvent) -> None:
    """Handle participation.record-completion."""
    cmd = parse_data(contracts.RecordCompletion, event)
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.complete(state, cmd))


async def on_drop_out(session: AsyncSession, event: CloudEvent) -> None:
    """Handle participation.record-drop-out."""
    cmd = parse_data(contracts.RecordDropOut, event)
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.drop_out(state, cmd))


async def _record(
    session: AsyncSession, command: CloudEvent, row: Participation | None, outcome: BaseModel | domain.Rejection
) -> None:
    if str(getattr(outcome, "participant_id", command.subject)) != command.subject:
        outcome = domain.Rejection("subject-mismatch", "the command's subject and participant differ")
    if not isinstance(outcome, domain.Rejection):
        if row is not None and isinstance(outcome, contracts.EnrolmentConfirmed):
            await session.delete(row)  # a new participation replaces a finished one
            await session.flush()
        session.add(_apply(row, outcome))
    _answer(session, command, outcome)


COMMAND_HANDLERS: dict[str, tuple[int, EventHandler]] = {
    "enrolment.enrol-participant": (1, on_enrol),
    "participation.record-start": (1, on_start),
    "participation.record-completion": (1, on_completion),
    "participation.record-drop-out": (1, on_drop_out),
}
