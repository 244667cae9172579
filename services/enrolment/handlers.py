"""Enrolment's command handlers: load the state, let the domain decide, store the fact or publish a rejection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment import SOURCE, domain
from services.enrolment.domain import ParticipationStatus
from services.enrolment.tables import Course, Participation, Referral, Subproject
from shared import contracts
from shared.clock import today_in_copenhagen
from shared.consumer import AwaitingFact, Folded, Handlers
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Rejection
from shared.topics import PARTICIPATION_EVENTS

# How long an enrolment waits for its participant's referral, which intake published first on the referral topic.
REFERRAL_GRACE = timedelta(minutes=10)


async def on_referral(session: AsyncSession, fact: contracts.ReferralRegistered, event: CloudEvent) -> None:
    """Keep what an enrolment is checked against: the participant's programme, target group and municipality (a
    later referral of the same participant replaces the earlier)."""
    values = fact.model_dump(include={"programme_id", "subproject_id", "target_group", "municipality", "referred_on"})
    referral = await session.get(Referral, fact.participant_id, with_for_update=True)
    if referral is None:
        session.add(Referral(participant_id=fact.participant_id, **values))
    else:
        for column, value in values.items():
            setattr(referral, column, value)


async def on_enrol(session: AsyncSession, cmd: contracts.EnrolParticipant, event: CloudEvent) -> None:
    """Handle enrolment.enrol-participant: a seat on the course, if the participant is free and there is room."""
    referral = await session.get(Referral, cmd.participant_id)
    if referral is None and datetime.now(UTC) - event.time < REFERRAL_GRACE:
        # intake published the referral before the command, on another topic: it is on its way
        raise AwaitingFact(f"no referral of participant {cmd.participant_id} yet")
    if referral is None:  # long past any delay between the topics: nobody referred this participant
        unknown = Rejection("unknown-participant", f"no referral of participant {cmd.participant_id} is known")
        publish(session, unknown.answering(event), source=SOURCE, cause=event, topic=PARTICIPATION_EVENTS)
        return
    row, state = await _state(session, cmd.participant_id)
    known = domain.Referral(
        programme_id=referral.programme_id,
        target_group=referral.target_group,
        municipality=referral.municipality,
        referred_on=referral.referred_on,
        subproject_id=referral.subproject_id,
    )
    outcome = domain.enrol(state, cmd, await _seats(session, cmd.course_id), known, today_in_copenhagen())
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


async def on_correct_start(session: AsyncSession, cmd: contracts.CorrectStart, event: CloudEvent) -> None:
    """Handle participation.correct-start."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.correct_start(state, cmd, today_in_copenhagen()))


async def on_correct_leaving_date(session: AsyncSession, cmd: contracts.CorrectLeavingDate, event: CloudEvent) -> None:
    """Handle participation.correct-leaving-date."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.correct_leaving_date(state, cmd, today_in_copenhagen()))


async def on_correct_drop_out_reason(
    session: AsyncSession, cmd: contracts.CorrectDropOutReason, event: CloudEvent
) -> None:
    """Handle participation.correct-drop-out-reason."""
    row, state = await _state(session, cmd.participant_id)
    await _record(session, event, row, domain.correct_drop_out_reason(state, cmd))


HANDLERS: Handlers = {
    contracts.ReferralRegistered: on_referral,
    contracts.EnrolParticipant: on_enrol,
    contracts.RecordStart: on_start,
    contracts.RecordCompletion: on_completion,
    contracts.RecordDropOut: on_drop_out,
    contracts.RecordWithdrawal: on_withdrawal,
    contracts.CorrectStart: on_correct_start,
    contracts.CorrectLeavingDate: on_correct_leaving_date,
    contracts.CorrectDropOutReason: on_correct_drop_out_reason,
}
# A referral only gets and adds the participant's row: a poll of them is folded in memory
FOLDED = Folded(Referral, frozenset({contracts.ReferralRegistered}))


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
        status=row.status,
        course_id=row.course_id,
        started_on=row.started_on,
        enrolled_on=row.enrolled_on,
        left_on=row.left_on,
        drop_out_reason=row.drop_out_reason,
    )


async def _seats(session: AsyncSession, course_id: str) -> domain.CourseSeats | None:
    # FOR UPDATE on the course: enrolments and promotions on one course are decided one at a time, so its seats
    # are never overbooked and its waiting list keeps the order of arrival.
    course = (await session.exec(select(Course).where(Course.id == course_id).with_for_update())).first()
    if course is None:
        return None
    counts = dict(
        (
            await session.exec(
                select(Participation.status, func.count())
                .where(Participation.course_id == course_id, col(Participation.status).in_(domain.PLACED))
                .group_by(Participation.status)
            )
        ).all()
    )
    subproject = await session.get(Subproject, course.subproject_id)
    return domain.CourseSeats(
        course_id=course.id,
        programme_id=course.programme_id,
        subproject_id=course.subproject_id,
        capacity=course.capacity,
        taken=sum(int(counts.get(status, 0)) for status in domain.ACTIVE),
        waiting_list_open=course.waiting_list_open,
        waiting=int(counts.get(ParticipationStatus.WAITING, 0)),
        ends_on=course.ends_on,
        target_groups=tuple(subproject.target_groups) if subproject else (),
        municipalities=tuple(subproject.municipalities) if subproject else (),
    )


async def _record(
    session: AsyncSession, command: CloudEvent, row: Participation | None, outcome: domain.Fact | Rejection
) -> None:
    """Apply an accepted fact to the participation row; publish the fact or the rejection that answers the command.

    A seat freed by a withdrawal goes to the first on the course's waiting list.
    """
    if isinstance(outcome, Rejection):
        publish(session, outcome.answering(command), source=SOURCE, cause=command, topic=PARTICIPATION_EVENTS)
        return
    previous = row.status if row is not None else None
    if row is not None and isinstance(outcome, contracts.EnrolmentConfirmed | contracts.EnrolmentWaitlisted):
        await session.delete(row)  # a new participation replaces a finished one
        await session.flush()
        row = None
    session.add(await _apply(session, row, outcome))
    await session.flush()
    publish(session, outcome, source=SOURCE, cause=command, topic=PARTICIPATION_EVENTS)
    if domain.frees_a_seat(outcome, previous):
        await _promote_first_waiting(session, outcome.course_id, domain.freed_on(outcome), command)


async def _promote_first_waiting(session: AsyncSession, course_id: str, freed_on: date, cause: CloudEvent) -> None:
    seats = await _seats(session, course_id)
    first = (
        await session.exec(
            select(Participation)
            .where(Participation.course_id == course_id, Participation.status == ParticipationStatus.WAITING)
            .order_by(col(Participation.waiting_number))
            .limit(1)
            .with_for_update()
        )
    ).first()
    if seats is None or first is None:
        return
    promoted = domain.promote(seats, first.participant_id, freed_on, first.waitlisted_on, re_entry=first.re_entry)
    if promoted is None:
        return
    first.status = ParticipationStatus.ENROLLED
    first.enrolled_on, first.updated_at = promoted.enrolled_on, datetime.now(UTC)
    # Caused by the command that freed the seat: the promoted participant's timeline shows why.
    publish(session, promoted, source=SOURCE, cause=cause, topic=PARTICIPATION_EVENTS)


def _correct(row: Participation, fact: domain.Fact) -> None:
    if isinstance(fact, contracts.StartCorrected):
        row.started_on = fact.started_on
    if isinstance(fact, contracts.LeavingDateCorrected):
        row.left_on = fact.left_on
    if isinstance(fact, contracts.DropOutReasonCorrected):
        row.drop_out_reason = fact.drop_out_reason


async def _apply(session: AsyncSession, row: Participation | None, fact: domain.Fact) -> Participation:
    if isinstance(fact, contracts.StartCorrected | contracts.LeavingDateCorrected | contracts.DropOutReasonCorrected):
        assert row is not None  # the domain corrects only an existing participation
        row.updated_at = datetime.now(UTC)
        _correct(row, fact)  # the status stays
        return row
    status = domain.next_status(fact)
    if isinstance(fact, contracts.EnrolmentConfirmed):
        return Participation(
            participant_id=fact.participant_id,
            course_id=fact.course_id,
            status=status,
            enrolled_on=fact.enrolled_on,
            re_entry=bool(fact.re_entry),
        )
    if isinstance(fact, contracts.EnrolmentWaitlisted):
        last = (
            await session.exec(
                select(func.max(Participation.waiting_number)).where(Participation.course_id == fact.course_id)
            )
        ).one()
        return Participation(
            participant_id=fact.participant_id,
            course_id=fact.course_id,
            status=status,
            waitlisted_on=fact.waitlisted_on,
            waiting_number=int(last or 0) + 1,
            re_entry=fact.re_entry,
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
