"""Enrolment's facts about a participation (enrolment.participation.events): a seat, a start, a leaving, a correction.

command.rejected travels on this topic and on follow-up's: a service refuses a command on its own topic of facts.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field

from shared.contracts.base import REGISTRY, AboutParticipant, event
from shared.contracts.commands import upcast_drop_out_reason_v1
from shared.contracts.vocabulary import (
    CODE_PATTERN,
    Code,
    CorrectionReason,
    DropOutReason,
    DropOutReasonV1,
    WithdrawalReason,
)
from shared.topics import FOLLOWUP_EVENTS, PARTICIPATION_EVENTS


class EnrolmentConfirmedV1(AboutParticipant):
    """The participant has a seat on the course."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)
    enrolled_on: date


@event("enrolment.confirmed", 2, topics=PARTICIPATION_EVENTS)
class EnrolmentConfirmed(EnrolmentConfirmedV1):
    """The participant has a seat on the course."""

    # v2: a re-entry, after completing or dropping out of an earlier course of the programme (the fund counts one
    # record: entry data from the first entry, exit from the final one); None for a v1 fact, which did not say.
    re_entry: bool | None = None


# enrolment.confirmed v1 (EnrolmentConfirmedV1, above) did not say whether it was a re-entry.
def upcast_enrolment_confirmed_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: whether it was a re-entry is unknown (None)."""
    return {**data, "re_entry": None}


REGISTRY.old_version("enrolment.confirmed", 1, EnrolmentConfirmedV1, upcast_enrolment_confirmed_v1)


@event("enrolment.waitlisted", 1, topics=PARTICIPATION_EVENTS)
class EnrolmentWaitlisted(AboutParticipant):
    """The course was full: the participant waits for a seat, in arrival order (position 1 is next)."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)
    waitlisted_on: date
    position: int = Field(ge=1)
    re_entry: bool = Field(description="after completing or dropping out of an earlier course of the programme")


@event("participation.started", 1, topics=PARTICIPATION_EVENTS)
class ParticipationStarted(AboutParticipant):
    """The participant started the course."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    started_on: date


@event("participation.completed", 1, topics=PARTICIPATION_EVENTS)
class ParticipationCompleted(AboutParticipant):
    """The participant completed the course and left on left_on."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date


@event("participation.dropped-out", 2, topics=PARTICIPATION_EVENTS)
class ParticipationDroppedOut(AboutParticipant):
    """The participant left the course early."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    reason: DropOutReason  # v2: moved and no-show added, personal folded into other


class ParticipationDroppedOutV1(AboutParticipant):
    """The participant left the course early."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    reason: DropOutReasonV1


# The same reasons as the command's v1 (participation.record-drop-out), upcast the same way.
REGISTRY.old_version("participation.dropped-out", 1, ParticipationDroppedOutV1, upcast_drop_out_reason_v1)


@event("participation.withdrawn", 1, topics=PARTICIPATION_EVENTS)
class ParticipationWithdrawn(AboutParticipant):
    """The participant withdrew before starting: the seat is free again, and there is nothing to follow up."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    withdrawn_on: date
    reason: WithdrawalReason


@event("participation.start-corrected", 1, topics=PARTICIPATION_EVENTS)
class StartCorrected(AboutParticipant):
    """The start date was corrected; the fact it corrects stays in the history."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    started_on: date
    previous_started_on: date
    correction_reason: CorrectionReason


@event("participation.leaving-date-corrected", 1, topics=PARTICIPATION_EVENTS)
class LeavingDateCorrected(AboutParticipant):
    """The leaving date was corrected: follow-up deadlines and counts follow the new date."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    previous_left_on: date
    correction_reason: CorrectionReason


@event("participation.drop-out-reason-corrected", 1, topics=PARTICIPATION_EVENTS)
class DropOutReasonCorrected(AboutParticipant):
    """The reason of a drop-out was corrected."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    drop_out_reason: DropOutReason
    previous_drop_out_reason: DropOutReason
    correction_reason: CorrectionReason


@event("command.rejected", 1, topics=(PARTICIPATION_EVENTS, FOLLOWUP_EVENTS))
class CommandRejected(AboutParticipant):
    """The owning service refused a command; command_id is the command's event id."""

    command_id: UUID
    command_type: str = Field(max_length=100)
    reason: str = Field(pattern=CODE_PATTERN)
    detail: str = Field(max_length=300)
