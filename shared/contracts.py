"""The data of every event and command that crosses a service boundary, by wire name and version.

These models are the single source of the JSON Schemas in schemas/events. No model has a field for a CPR number,
a name, an address, a phone number or free text: only ids, codes, dates and the caseworker's work email.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shared.envelope import CloudEvent

Code = str  # programme-defined codes, constrained by the pattern below
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,49}$"
Gender = Literal["female", "male", "non-binary"]
AgeBand = Literal["under-25", "25-54", "over-54"]
LabourMarketStatus = Literal["unemployed", "long-term-unemployed", "inactive", "employed"]
EducationLevel = Literal["isced-0-2", "isced-3-4", "isced-5-8"]
Disadvantage = Literal["disability", "migrant-or-minority", "other-disadvantage"]
Benefit = Literal[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "dagpenge",
    "sygedagpenge",
    "ledighedsydelse",
    "ressourceforloebsydelse",
    "foertidspension",
    "none",
]
Situation = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "pension",
    "unknown",
]
DropOutReason = Literal["job", "education", "illness", "personal", "other"]
Check = Literal["leaving-outcome", "six-month"]
EMPLOYED: frozenset[str] = frozenset({"ordinary-employment", "social-economy-employment", "flex-job", "self-employed"})


class Contract(BaseModel):
    """Base of event data: readers ignore fields they do not know (a tolerant reader)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    participant_id: UUID


# --- intake -----------------------------------------------------------------------------------------------------
class ReferralRegistered(Contract):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name)."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    caseworker_email: EmailStr
    referred_on: date
    target_group: Code = Field(pattern=CODE_PATTERN)
    gender: Gender
    age_band: AgeBand
    under_25: bool
    over_54: bool
    labour_market_status: LabourMarketStatus
    education_level: EducationLevel
    benefit: Benefit
    disadvantages: list[Disadvantage] = Field(max_length=3)
    disadvantages_refused: bool


class EnrolParticipant(Contract):
    """Command: enrol a referred participant on a course."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)


class RecordStart(Contract):
    """Command: the participant started the course."""

    started_on: date


class RecordCompletion(Contract):
    """Command: the participant completed the course (the leaving date)."""

    completed_on: date


class RecordDropOut(Contract):
    """Command: the participant left the course early."""

    dropped_out_on: date
    reason: DropOutReason


class RecordLeavingOutcome(Contract):
    """Command: the participant's situation upon leaving (within four weeks)."""

    situation: Situation
    observed_on: date


class RecordSixMonthResult(Contract):
    """Command: the participant's situation six months after leaving."""

    situation: Situation
    observed_on: date


# --- enrolment --------------------------------------------------------------------------------------------------
class EnrolmentConfirmed(Contract):
    """The participant has a seat on the course."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)
    enrolled_on: date


class ParticipationStarted(Contract):
    """The participant started the course."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    started_on: date


class ParticipationCompleted(Contract):
    """The participant completed the course and left on left_on."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date


class ParticipationDroppedOut(Contract):
    """The participant left the course early."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    reason: DropOutReason


class CommandRejected(Contract):
    """The owning service refused a command; command_id is the command's event id."""

    command_id: UUID
    command_type: str = Field(max_length=100)
    reason: str = Field(pattern=CODE_PATTERN)
    detail: str = Field(max_length=300)


class CoursePublished(BaseModel):
    """A course in the catalogue (keyed by course id on the compacted catalogue topic)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    course_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    starts_on: date
    ends_on: date
    capacity: int = Field(ge=1, le=1000)


# --- follow-up --------------------------------------------------------------------------------------------------
class CheckScheduled(Contract):
    """A follow-up deadline was set from the leaving date."""

    check: Check
    left_on: date
    due_on: date


class LeavingOutcomeRecorded(Contract):
    """The situation upon leaving was recorded."""

    situation: Situation
    employed: bool
    observed_on: date
    left_on: date


class SixMonthResultRecorded(Contract):
    """The situation six months after leaving was recorded."""

    situation: Situation
    employed: bool
    observed_on: date
    left_on: date


class ReminderSent(Contract):
    """A reminder email went to the responsible caseworker."""

    check: Check
    due_on: date
    reminder_number: int = Field(ge=1)


EVENTS: dict[tuple[str, int], type[BaseModel]] = {
    ("referral.registered", 1): ReferralRegistered,
    ("enrolment.enrol-participant", 1): EnrolParticipant,
    ("participation.record-start", 1): RecordStart,
    ("participation.record-completion", 1): RecordCompletion,
    ("participation.record-drop-out", 1): RecordDropOut,
    ("followup.record-leaving-outcome", 1): RecordLeavingOutcome,
    ("followup.record-six-month-result", 1): RecordSixMonthResult,
    ("enrolment.confirmed", 1): EnrolmentConfirmed,
    ("participation.started", 1): ParticipationStarted,
    ("participation.completed", 1): ParticipationCompleted,
    ("participation.dropped-out", 1): ParticipationDroppedOut,
    ("command.rejected", 1): CommandRejected,
    ("course.published", 1): CoursePublished,
    ("followup.check-scheduled", 1): CheckScheduled,
    ("leaving-outcome.recorded", 1): LeavingOutcomeRecorded,
    ("six-month-result.recorded", 1): SixMonthResultRecorded,
    ("reminder.sent", 1): ReminderSent,
}


def wire_name(model: type[BaseModel]) -> tuple[str, int]:
    """The (type, version) a model travels under."""
    return next(key for key, value in EVENTS.items() if value is model)


def to_event(data: BaseModel, *, source: str, subject: str, cause: CloudEvent | None = None) -> CloudEvent:
    """Wrap contract data in an envelope under its wire name; a cause links correlation and causation."""
    type_, version = wire_name(type(data))
    payload = data.model_dump(mode="json")
    if cause is not None:
        return cause.caused(type=type_, version=version, source=source, data=payload)
    return CloudEvent(type=type_, version=version, source=source, subject=subject, data=payload)
