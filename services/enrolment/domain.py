"""Participation rules, pure: which command is allowed in which state, and which fact it produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeGuard, cast
from uuid import UUID

from shared import contracts
from shared.rejection import Rejection


class ParticipationStatus(StrEnum):
    """Where a participation stands: stored as these values in participation.status, a CHECK keeping them."""

    WAITING = "waiting"
    ENROLLED = "enrolled"
    STARTED = "started"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped-out"
    WITHDRAWN = "withdrawn"


ACTIVE = (ParticipationStatus.ENROLLED, ParticipationStatus.STARTED)  # hold a seat
LEFT = (ParticipationStatus.COMPLETED, ParticipationStatus.DROPPED_OUT)  # left a course: enrolling again is a re-entry
PLACED = (*ACTIVE, ParticipationStatus.WAITING)  # hold a seat or a place on the waiting list


@dataclass(frozen=True)
class ParticipationState:
    """What enrolment knows of one participant's participation."""

    status: str  # a ParticipationStatus (a str, so a state reads as plainly as the row it comes from)
    course_id: str
    started_on: date | None
    enrolled_on: date | None = None
    left_on: date | None = None
    drop_out_reason: str | None = None


@dataclass(frozen=True)
class CourseSeats:
    """A course and how many of its seats are taken."""

    course_id: str
    programme_id: str
    subproject_id: str
    capacity: int
    taken: int
    waiting_list_open: bool = False
    waiting: int = 0
    ends_on: date | None = None
    target_groups: tuple[str, ...] = ()  # whom the course's sub-project serves
    municipalities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Referral:
    """What enrolment knows of a participant's referral, from intake's referral.registered."""

    programme_id: str
    target_group: str
    municipality: str
    referred_on: date
    subproject_id: str  # the sub-project the participant was referred to: a course must be one of its


def enrol(
    state: ParticipationState | None,
    cmd: contracts.EnrolParticipant,
    course: CourseSeats | None,
    referral: Referral,
    today: date,
) -> contracts.EnrolmentConfirmed | contracts.EnrolmentWaitlisted | Rejection:
    """A seat if the course has room, else a place at the end of its waiting list if that is open.

    The date is the caseworker's (intake checks it too); a v1 command without one means today.
    """
    if state is not None and state.status in PLACED:
        return Rejection("already-enrolled", f"the participant is already {state.status} on course {state.course_id}")
    if course is None:
        return Rejection("unknown-course", f"there is no course {cmd.course_id}")
    if course.programme_id != referral.programme_id:
        return Rejection(
            "course-not-in-programme", f"course {cmd.course_id} does not belong to the participant's programme"
        )
    if course.subproject_id != referral.subproject_id:
        return Rejection(
            "course-not-in-subproject",
            f"course {cmd.course_id} belongs to sub-project {course.subproject_id}, not to sub-project"
            f" {referral.subproject_id} the participant was referred to",
        )
    if referral.target_group not in course.target_groups:
        return Rejection(
            "target-group-not-served",
            f"the sub-project of course {cmd.course_id} does not serve target group {referral.target_group}",
        )
    if referral.municipality not in course.municipalities:
        return Rejection(
            "municipality-not-served",
            f"the sub-project of course {cmd.course_id} does not serve municipality {referral.municipality}",
        )
    enrolled_on = cmd.enrolled_on or today
    if enrolled_on > today:
        return Rejection("in-the-future", "the enrolment date is in the future")
    if enrolled_on < referral.referred_on:
        return Rejection(
            "enrolled-before-referral",
            f"the enrolment date is before the referral date ({referral.referred_on.isoformat()})",
        )
    re_entry = state is not None and state.status in LEFT
    if course.ends_on is not None and enrolled_on > course.ends_on:
        return Rejection("course-finished", f"course {cmd.course_id} ended on {course.ends_on.isoformat()}")
    if course.taken >= course.capacity:
        if course.waiting_list_open:
            return contracts.EnrolmentWaitlisted(
                participant_id=cmd.participant_id,
                programme_id=course.programme_id,
                subproject_id=course.subproject_id,
                course_id=course.course_id,
                waitlisted_on=enrolled_on,
                position=course.waiting + 1,
                re_entry=re_entry,
            )
        return Rejection(
            "course-full",
            f"course {cmd.course_id} has no free seat ({course.capacity} taken) and its waiting list is closed",
        )
    return contracts.EnrolmentConfirmed(
        participant_id=cmd.participant_id,
        programme_id=course.programme_id,
        subproject_id=course.subproject_id,
        course_id=course.course_id,
        enrolled_on=enrolled_on,
        re_entry=re_entry,
    )


def start(state: ParticipationState | None, cmd: contracts.RecordStart) -> contracts.ParticipationStarted | Rejection:
    """Record the start of an enrolled participant."""
    if state is None or state.status != ParticipationStatus.ENROLLED:
        return Rejection("not-enrolled", "only an enrolled participant who has not started can start")
    if state.enrolled_on and cmd.started_on < state.enrolled_on:
        return Rejection("before-enrolment", "the start date is before the enrolment date")
    return contracts.ParticipationStarted(
        participant_id=cmd.participant_id, course_id=state.course_id, started_on=cmd.started_on
    )


def complete(
    state: ParticipationState | None, cmd: contracts.RecordCompletion
) -> contracts.ParticipationCompleted | Rejection:
    """Record a completion; the completion date is the leaving date and cannot precede the start."""
    if state is None or state.status != ParticipationStatus.STARTED:
        return Rejection("not-started", "only a participant who has started can complete")
    if state.started_on and cmd.completed_on < state.started_on:
        return Rejection("before-start", "the completion date is before the start date")
    return contracts.ParticipationCompleted(
        participant_id=cmd.participant_id, course_id=state.course_id, left_on=cmd.completed_on
    )


def drop_out(
    state: ParticipationState | None, cmd: contracts.RecordDropOut
) -> contracts.ParticipationDroppedOut | Rejection:
    """Record that a started participant left early.

    One who is enrolled but never started has not entered the operation (DOMAIN.md): ending that enrolment is a
    withdrawal, not a leaving, so no result is ever followed up or counted for them.
    """
    if state is not None and state.status == ParticipationStatus.ENROLLED:
        return Rejection(
            "not-started",
            "the participant has not started, so they cannot drop out: record a withdrawal instead",
        )
    if state is None or state.status != ParticipationStatus.STARTED:
        return Rejection("not-participating", "only a participant who has started can drop out")
    if state.started_on and cmd.dropped_out_on < state.started_on:
        return Rejection("before-start", "the drop-out date is before the start date")
    return contracts.ParticipationDroppedOut(
        participant_id=cmd.participant_id, course_id=state.course_id, left_on=cmd.dropped_out_on, reason=cmd.reason
    )


def withdraw(
    state: ParticipationState | None, cmd: contracts.RecordWithdrawal
) -> contracts.ParticipationWithdrawn | Rejection:
    """An enrolled or waiting participant withdrew before starting (one who started completes or drops out)."""
    if state is None or state.status not in PLACED:
        return Rejection("not-enrolled", "only an enrolled participant who has not started can withdraw")
    if state.status == ParticipationStatus.STARTED:
        return Rejection("already-started", "the participant has started: record a completion or a drop-out instead")
    if state.enrolled_on and cmd.withdrawn_on < state.enrolled_on:
        return Rejection("before-enrolment", "the withdrawal date is before the enrolment date")
    return contracts.ParticipationWithdrawn(
        participant_id=cmd.participant_id, course_id=state.course_id, withdrawn_on=cmd.withdrawn_on, reason=cmd.reason
    )


def correct_start(
    state: ParticipationState | None, cmd: contracts.CorrectStart, today: date
) -> contracts.StartCorrected | Rejection:
    """A corrected start date: on or after the enrolment, on or before the leaving, not in the future."""
    if state is None or state.started_on is None or state.status not in (ParticipationStatus.STARTED, *LEFT):
        return Rejection("not-started", "only the start of a participant who has started can be corrected")
    if cmd.started_on > today:
        return Rejection("in-the-future", "the corrected start date is in the future")
    if state.enrolled_on and cmd.started_on < state.enrolled_on:
        return Rejection("before-enrolment", "the corrected start date is before the enrolment date")
    if state.left_on and cmd.started_on > state.left_on:
        return Rejection("after-leaving", "the corrected start date is after the leaving date")
    if cmd.started_on == state.started_on:
        return Rejection("no-change", "the start date on record is already that date")
    return contracts.StartCorrected(
        participant_id=cmd.participant_id,
        course_id=state.course_id,
        started_on=cmd.started_on,
        previous_started_on=state.started_on,
        correction_reason=cmd.correction_reason,
    )


def correct_leaving_date(
    state: ParticipationState | None, cmd: contracts.CorrectLeavingDate, today: date
) -> contracts.LeavingDateCorrected | Rejection:
    """A corrected leaving date: on or after the start (or the enrolment, if never started), not in the future."""
    if state is None or state.left_on is None or state.status not in LEFT:
        return Rejection(
            "not-left", "only the leaving date of a participant who completed or dropped out can be corrected"
        )
    if cmd.left_on > today:
        return Rejection("in-the-future", "the corrected leaving date is in the future")
    if state.started_on and cmd.left_on < state.started_on:
        return Rejection("before-start", "the corrected leaving date is before the start date")
    if state.enrolled_on and cmd.left_on < state.enrolled_on:
        return Rejection("before-enrolment", "the corrected leaving date is before the enrolment date")
    if cmd.left_on == state.left_on:
        return Rejection("no-change", "the leaving date on record is already that date")
    return contracts.LeavingDateCorrected(
        participant_id=cmd.participant_id,
        course_id=state.course_id,
        left_on=cmd.left_on,
        previous_left_on=state.left_on,
        correction_reason=cmd.correction_reason,
    )


def correct_drop_out_reason(
    state: ParticipationState | None, cmd: contracts.CorrectDropOutReason
) -> contracts.DropOutReasonCorrected | Rejection:
    """A corrected drop-out reason, for a participant who dropped out."""
    if state is None or state.status != ParticipationStatus.DROPPED_OUT or state.drop_out_reason is None:
        return Rejection("not-dropped-out", "only the reason of a drop-out can be corrected")
    if cmd.drop_out_reason == state.drop_out_reason:
        return Rejection("no-change", "the drop-out reason on record is already that reason")
    return contracts.DropOutReasonCorrected(
        participant_id=cmd.participant_id,
        course_id=state.course_id,
        drop_out_reason=cmd.drop_out_reason,
        previous_drop_out_reason=cast(contracts.DropOutReason, state.drop_out_reason),
        correction_reason=cmd.correction_reason,
    )


def frees_a_seat(fact: Fact, previous_status: str | None) -> TypeGuard[contracts.ParticipationWithdrawn]:
    """A withdrawal of someone who held a seat frees it for the waiting list (one who started keeps it to the end)."""
    return previous_status == ParticipationStatus.ENROLLED and isinstance(fact, contracts.ParticipationWithdrawn)


def promote(
    course: CourseSeats, participant_id: UUID, freed_on: date, waitlisted_on: date | None, *, re_entry: bool
) -> contracts.EnrolmentConfirmed | None:
    """The first waiting participant gets the seat, if one is free, from the day it was freed."""
    if course.taken >= course.capacity:
        return None
    return contracts.EnrolmentConfirmed(
        participant_id=participant_id,
        programme_id=course.programme_id,
        subproject_id=course.subproject_id,
        course_id=course.course_id,
        # the day the seat was freed, so that records loaded from earlier years keep their real dates
        enrolled_on=max(freed_on, waitlisted_on or freed_on),
        re_entry=re_entry,
    )


def freed_on(fact: contracts.ParticipationWithdrawn) -> date:
    """The day a withdrawal freed its seat."""
    return fact.withdrawn_on


Fact = (
    contracts.EnrolmentConfirmed
    | contracts.EnrolmentWaitlisted
    | contracts.ParticipationStarted
    | contracts.ParticipationCompleted
    | contracts.ParticipationDroppedOut
    | contracts.ParticipationWithdrawn
    | contracts.StartCorrected
    | contracts.LeavingDateCorrected
    | contracts.DropOutReasonCorrected
)


def next_status(fact: Fact) -> ParticipationStatus:
    """The participation status a fact leads to; a correction keeps the status it finds (KeyError here)."""
    return {
        contracts.EnrolmentConfirmed: ParticipationStatus.ENROLLED,
        contracts.EnrolmentWaitlisted: ParticipationStatus.WAITING,
        contracts.ParticipationStarted: ParticipationStatus.STARTED,
        contracts.ParticipationCompleted: ParticipationStatus.COMPLETED,
        contracts.ParticipationDroppedOut: ParticipationStatus.DROPPED_OUT,
        contracts.ParticipationWithdrawn: ParticipationStatus.WITHDRAWN,
    }[type(fact)]
