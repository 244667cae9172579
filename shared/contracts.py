"""The data of every event and command that crosses a service boundary, registered by wire name and version.

These models are the single source of the JSON Schemas in schemas/events and of every list of event types (see
shared.registry). No model has a field for a CPR number, a name, an address, a phone number or free text: only
ids, codes, dates and the caseworker's work email.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from shared.envelope import CloudEvent
from shared.registry import Contract, Registry
from shared.topics import (
    CATALOGUE_EVENTS,
    ENROLMENT_COMMANDS,
    FOLLOWUP_COMMANDS,
    FOLLOWUP_EVENTS,
    PARTICIPATION_EVENTS,
    REFERRAL_EVENTS,
)

REGISTRY = Registry()
event = REGISTRY.register

Code = str  # programme-defined codes, constrained by the pattern below
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,49}$"
# A staff member's work email on the wire: validated in full (EmailStr) where it enters (the referral, the catalogue),
# checked for its shape where it is read back. Full validation on every consumer was two fifths of the CPU a rebuild
# spends on a referral event (py-spy, bench/rebuild.py); the published schema stays `format: email`.
WorkEmail = Annotated[
    str,
    StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    WithJsonSchema({"type": "string", "format": "email"}),
]
Gender = Literal["female", "male", "non-binary"]
AgeBand = Literal["under-25", "25-54", "over-54"]
AgeBandEsfPlus = Literal["under-18", "18-29", "30-54", "55-and-over"]
LabourMarketStatusV2 = Literal["unemployed", "long-term-unemployed", "inactive", "employed"]
# v3: the status as stated; whether unemployment is long-term is derived from its months (fund_rules).
LabourMarketStatus = Literal["employed", "self-employed", "unemployed", "inactive", "inactive-not-in-education"]
EducationLevelV2 = Literal["isced-0-2", "isced-3-4", "isced-5-8"]
EducationLevel = Literal["isced-0-2", "isced-3-4", "isced-5-8", "unknown"]
Answer = Literal["yes", "no", "refused", "not-asked"]  # a sensitive characteristic, as the citizen answered
Disadvantage = Literal["disability", "migrant-or-minority", "other-disadvantage"]
BenefitV2 = Literal[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "dagpenge",
    "sygedagpenge",
    "ledighedsydelse",
    "ressourceforloebsydelse",
    "foertidspension",
    "none",
]
# v3 adds the benefits the seeds' target groups receive, and "unknown".
Benefit = Literal[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "dagpenge",
    "sygedagpenge",
    "ledighedsydelse",
    "ressourceforloebsydelse",
    "revalideringsydelse",
    "selvforsoergelses-og-hjemrejseydelse",
    "overgangsydelse",
    "su",
    "foertidspension",
    "none",
    "unknown",
]
SituationV1 = Literal[
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
# v2: a wage-subsidy job (løntilskud) apart; whether it, or a flex-job, counts as employment is the programme's setting.
Situation = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "wage-subsidy-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "pension",
    "unknown",
]
# Six months after leaving: the kinds of employment, education, job-seeking, inactive, or the person not reached.
SixMonthSituation = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "wage-subsidy-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "unreachable",
]
# CR07, for a participant employed at entry: how the situation improved six months after leaving, or "none".
Improvement = Literal[
    "precarious-to-stable", "under-employment-to-full-employment", "higher-skills-job", "promotion", "none"
]
CheckClosedReason = Literal["recorded", "lapsed", "left-again", "re-enrolled", "withdrawn", "erased"]
DropOutReason = Literal["job", "education", "illness", "moved", "no-show", "other"]
DropOutReasonV1 = Literal["job", "education", "illness", "personal", "other"]
WithdrawalReason = Literal["declined", "illness", "moved", "job", "education", "no-show", "other"]
CorrectionReason = Literal["entered-wrong", "new-information", "other"]
Check = Literal["leaving-outcome", "six-month"]
MUNICIPALITY_PATTERN = r"^\d{3}$"
Municipality = Annotated[str, Field(pattern=MUNICIPALITY_PATTERN)]
CodeItem = Annotated[str, Field(pattern=CODE_PATTERN)]
# A public title: Latin letters (Danish and other European ones included), digits, spaces and light punctuation.
# The ranges are spelt out because \w means Unicode letters to Python but ASCII ones to a JSON Schema validator.
_LETTER_OR_DIGIT = "0-9A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F"
TITLE_PATTERN = rf"^[{_LETTER_OR_DIGIT}][{_LETTER_OR_DIGIT}_ .,'&()/\-]*$"
Fund = Literal["esf-2014-2020", "esf-plus-2021-2027"]
Cr04Reading = Literal["every-participant", "not-employed-at-entry"]
ProviderKind = Literal["municipality", "ngo"]
CompanyKind = Literal["commercial", "social-economy"]
Scope = Literal["local", "regional"]
# The figures a target can count: stable ids that reporting computes.
FigureId = Literal[
    "participants",
    "recruited",
    "completed",
    "stopped-early-for-job-or-education",
    "employed-upon-leaving",
    "employed-ordinary-upon-leaving",
    "employed-social-economy-upon-leaving",
    "job-seeking-upon-leaving",
    "inactive-at-entry-job-seeking-upon-leaving",
    "employed-six-months-after",
    "self-supporting",
    "companies-recruited-commercial",
    "companies-recruited-social-economy",
]


class AboutParticipant(Contract):
    """Data about one participant: the participant id is the CloudEvents subject and the Kafka key."""

    participant_id: UUID


# --- intake -----------------------------------------------------------------------------------------------------
class DisadvantagesAtEntry(BaseModel):
    """Each disadvantage characteristic as the citizen answered it: yes, no, refused to say, or not asked."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    disability: Answer = "not-asked"
    migrant_or_foreign_background: Answer = "not-asked"
    minority: Answer = "not-asked"
    homeless_or_housing_exclusion: Answer = "not-asked"
    other_disadvantage: Answer = "not-asked"


class ReferralRegisteredV1(AboutParticipant):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name)."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    caseworker_email: WorkEmail
    referred_on: date
    target_group: Code = Field(pattern=CODE_PATTERN)
    gender: Gender
    age_band: AgeBand
    under_25: bool
    over_54: bool
    labour_market_status: LabourMarketStatusV2
    education_level: EducationLevelV2
    benefit: BenefitV2
    disadvantages: list[Disadvantage] = Field(max_length=3)
    disadvantages_refused: bool


class ReferralRegisteredV2(ReferralRegisteredV1):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name)."""

    # v2: the ESF+ band (2021-27 output indicators); None where a v1 record did not allow telling it.
    age_band_esf_plus: AgeBandEsfPlus | None


@event("referral.registered", 3, topics=REFERRAL_EVENTS)
class ReferralRegistered(AboutParticipant):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name, no contact details)."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    caseworker_email: WorkEmail = Field(description="the responsible caseworker's work email")
    referred_on: date
    target_group: Code = Field(pattern=CODE_PATTERN)
    gender: Gender
    # The age bands on the referral date (the fund judges age on the start date: see the intake issue).
    age_band: AgeBand
    under_25: bool
    over_54: bool
    age_band_esf_plus: AgeBandEsfPlus | None
    # v3: the status as stated, with the months of unemployment, and long-term derived from them (over 12 months,
    # over 6 for under-25s); the fund's benefits; education "unknown"; each disadvantage answered one by one.
    labour_market_status: LabourMarketStatus
    months_unemployed: int | None = Field(ge=0, le=600)
    long_term_unemployed: bool = Field(description="v2 records said it without the months")
    education_level: EducationLevel
    benefit: Benefit
    disadvantages: DisadvantagesAtEntry


@event("participant.entered", 1, topics=REFERRAL_EVENTS)
class ParticipantEntered(AboutParticipant):
    """The participant's characteristics at entry, judged on the first start date (the fund's entry), not on the
    referral date; published again if that start date is corrected. A re-entry keeps the first entry's."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    entered_on: date
    age_band: AgeBand
    age_band_esf_plus: AgeBandEsfPlus
    under_25: bool
    over_54: bool
    long_term_unemployed: bool = Field(description="months unemployed at referral plus the months until entry")


@event("consent.withdrawn", 1, topics=REFERRAL_EVENTS)
class ConsentWithdrawn(AboutParticipant):
    """The citizen withdrew the consent their data were processed on (the personal-data issue erases them later)."""

    withdrawn_on: date


ErasureBasis = Literal["request", "consent-withdrawn", "retention"]


@event("participant.erased", 1, topics=REFERRAL_EVENTS)
class ParticipantErased(AboutParticipant):
    """The participant's personal data were destroyed (GDPR art. 17): other services drop what could lead back to the
    person; the pseudonymous facts stay for the fund's statistics."""

    erased_on: date
    basis: ErasureBasis


class EnrolParticipantV1(AboutParticipant):
    """Command: enrol a referred participant on a course."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)


@event("enrolment.enrol-participant", 2, topics=ENROLMENT_COMMANDS, kind="command")
class EnrolParticipant(EnrolParticipantV1):
    """Command: enrol a referred participant on a course."""

    # v2: the real-world date the caseworker gives; None only for a v1 command, which meant "the day it is handled".
    enrolled_on: date | None = None


@event("participation.record-start", 1, topics=ENROLMENT_COMMANDS, kind="command")
class RecordStart(AboutParticipant):
    """Command: the participant started the course."""

    started_on: date


@event("participation.record-completion", 1, topics=ENROLMENT_COMMANDS, kind="command")
class RecordCompletion(AboutParticipant):
    """Command: the participant completed the course (the leaving date)."""

    completed_on: date


class RecordDropOutV1(AboutParticipant):
    """Command: the participant left the course early."""

    dropped_out_on: date
    reason: DropOutReasonV1


@event("participation.record-drop-out", 2, topics=ENROLMENT_COMMANDS, kind="command")
class RecordDropOut(AboutParticipant):
    """Command: the participant left the course early."""

    dropped_out_on: date
    reason: DropOutReason  # v2: moved and no-show added, personal folded into other


@event("participation.record-withdrawal", 1, topics=ENROLMENT_COMMANDS, kind="command")
class RecordWithdrawal(AboutParticipant):
    """Command: the participant withdrew before starting (not a leaving: nothing is followed up)."""

    withdrawn_on: date
    reason: WithdrawalReason


@event("participation.correct-start", 1, topics=ENROLMENT_COMMANDS, kind="command")
class CorrectStart(AboutParticipant):
    """Command: the start date on record is wrong; this is the right one."""

    started_on: date
    correction_reason: CorrectionReason


@event("participation.correct-leaving-date", 1, topics=ENROLMENT_COMMANDS, kind="command")
class CorrectLeavingDate(AboutParticipant):
    """Command: the leaving date (completion or drop-out) on record is wrong; this is the right one."""

    left_on: date
    correction_reason: CorrectionReason


@event("participation.correct-drop-out-reason", 1, topics=ENROLMENT_COMMANDS, kind="command")
class CorrectDropOutReason(AboutParticipant):
    """Command: the drop-out reason on record is wrong; this is the right one."""

    drop_out_reason: DropOutReason
    correction_reason: CorrectionReason


class RecordLeavingOutcomeV1(AboutParticipant):
    """Command: the participant's situation upon leaving (within four weeks)."""

    situation: SituationV1
    observed_on: date


@event("followup.record-leaving-outcome", 2, topics=FOLLOWUP_COMMANDS, kind="command")
class RecordLeavingOutcome(AboutParticipant):
    """Command: the participant's situation upon leaving, and whether a qualification was gained (CR03)."""

    situation: Situation
    qualification_gained: bool | None = Field(default=None, description="None: not known")
    observed_on: date


class RecordSixMonthResultV1(AboutParticipant):
    """Command: the participant's situation six months after leaving."""

    situation: SituationV1
    observed_on: date


@event("followup.record-six-month-result", 2, topics=FOLLOWUP_COMMANDS, kind="command")
class RecordSixMonthResult(AboutParticipant):
    """Command: the participant's situation six months after leaving, and for one employed at entry, the change."""

    situation: SixMonthSituation
    improvement: Improvement | None = Field(default=None, description="only for a participant employed at entry")
    observed_on: date


# --- enrolment --------------------------------------------------------------------------------------------------
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


class ParticipationDroppedOutV1(AboutParticipant):
    """The participant left the course early."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    reason: DropOutReasonV1


@event("participation.dropped-out", 2, topics=PARTICIPATION_EVENTS)
class ParticipationDroppedOut(AboutParticipant):
    """The participant left the course early."""

    course_id: Code = Field(pattern=CODE_PATTERN)
    left_on: date
    reason: DropOutReason  # v2: moved and no-show added, personal folded into other


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


class CoursePublishedV1(Contract):
    """A course in the catalogue (keyed by course id on the compacted catalogue topic)."""

    subject_field: ClassVar[str] = "course_id"
    course_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    starts_on: date
    ends_on: date
    capacity: int = Field(ge=1, le=1000)


class CatalogueEntry(Contract):
    """An entry of the catalogue: the subject (and compaction key) is its kind and id, e.g. programme/rummelig-imidt."""

    kind_prefix: ClassVar[str] = ""

    def subject(self) -> str:
        """kind/id, so that ids of different kinds never share a key on the compacted topic."""
        return f"{self.kind_prefix}/{getattr(self, self.subject_field)}"


class ProgrammeSettings(BaseModel):
    """The programme's choices that counting depends on."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    flex_job_counts_as_employment: bool
    wage_subsidy_counts_as_employment: bool
    cr04_reading: Cr04Reading
    min_cell: int = Field(ge=1, le=100)
    six_month_result_grace_days: int = Field(ge=0, le=366)


@event("programme.published", 1, topics=CATALOGUE_EVENTS)
class ProgrammePublished(CatalogueEntry):
    """A programme as it now stands: period (with extensions), fund and the settings counting depends on."""

    subject_field: ClassVar[str] = "programme_id"
    kind_prefix: ClassVar[str] = "programme"
    programme_id: Code = Field(pattern=CODE_PATTERN)
    title: str = Field(max_length=200, pattern=TITLE_PATTERN)
    operator: str = Field(max_length=200, pattern=TITLE_PATTERN)
    region: str = Field(max_length=100, pattern=TITLE_PATTERN)
    starts_on: date
    ends_on: date = Field(description="the end in force, extensions included")
    fund: Fund
    settings: ProgrammeSettings


class TargetStep(BaseModel):
    """The number a target counts from a date on."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    number: int = Field(ge=0, le=1_000_000)
    effective_on: date


@event("target.published", 1, topics=CATALOGUE_EVENTS)
class TargetPublished(CatalogueEntry):
    """A target of the grant ("forventet effekt"): the figure it counts and its number, amendments included."""

    subject_field: ClassVar[str] = "target_id"
    kind_prefix: ClassVar[str] = "target"
    target_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code | None = Field(default=None, pattern=CODE_PATTERN)
    figure: FigureId
    steps: list[TargetStep] = Field(min_length=1, max_length=100, description="the original, then each amendment")


@event("subproject.published", 1, topics=CATALOGUE_EVENTS)
class SubprojectPublished(CatalogueEntry):
    """A sub-project ("delprojekt"): who runs it, whom it serves, where, when, and who coordinates it."""

    subject_field: ClassVar[str] = "subproject_id"
    kind_prefix: ClassVar[str] = "subproject"
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    title: str = Field(max_length=200, pattern=TITLE_PATTERN)
    provider_kind: ProviderKind
    municipalities: list[Municipality] = Field(min_length=1, max_length=98)
    target_groups: list[CodeItem] = Field(min_length=1, max_length=50)
    coordinator_email: WorkEmail = Field(description="the coordinator's work email; follow-up escalates to it")
    starts_on: date
    ends_on: date
    scope: Scope
    illustrative: bool = Field(description="true for demo sub-projects the seeds do not name")


@event("course.published", 2, topics=CATALOGUE_EVENTS)
class CoursePublished(CoursePublishedV1):
    """A course of a sub-project as it now stands: where, when, how many seats, whether its waiting list is open."""

    # The key stays the bare course id of v1, so that v2 records replace v1's on the compacted topic (a code never
    # holds "/", so it cannot meet the kind/id keys of the other entries).
    # v2: the title, the place and the waiting list; None for a v1 record, which did not say.
    title: str | None = Field(default=None, max_length=200, pattern=TITLE_PATTERN)
    location: str | None = Field(default=None, max_length=200, pattern=TITLE_PATTERN)
    waiting_list_open: bool | None = None


@event("company.published", 1, topics=CATALOGUE_EVENTS)
class CompanyPublished(CatalogueEntry):
    """A partner company, pseudonymous (no CVR number, no name: a sole trader's would name a person)."""

    subject_field: ClassVar[str] = "company_id"
    kind_prefix: ClassVar[str] = "company"
    company_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    kind: CompanyKind
    recruited_on: date
    subproject_ids: list[CodeItem] = Field(max_length=50)


# --- follow-up --------------------------------------------------------------------------------------------------
class CheckScheduledV1(AboutParticipant):
    """A follow-up deadline was set from the leaving date."""

    check: Check
    left_on: date
    due_on: date


@event("followup.check-scheduled", 2, topics=FOLLOWUP_EVENTS)
class CheckScheduled(AboutParticipant):
    """A follow-up check was set (or moved) from an exit: asked for from due_on, counting until counts_until."""

    check: Check
    exit_number: int | None = Field(ge=1, description="the participant's nth exit; None in a v1 fact")
    left_on: date
    due_on: date
    counts_until: date = Field(description="the last day a recorded result still counts")
    proposed_situation: Situation | None = Field(default=None, description="proposed by a drop-out's reason")


@event("followup.check-closed", 1, topics=FOLLOWUP_EVENTS)
class CheckClosed(AboutParticipant):
    """A follow-up check needs nothing more: recorded, past its limit, or superseded by a later exit or enrolment."""

    check: Check
    exit_number: int = Field(ge=1)
    left_on: date
    reason: CheckClosedReason


@event("followup.check-overdue", 1, topics=FOLLOWUP_EVENTS)
class CheckOverdue(AboutParticipant):
    """A check went unanswered after its reminders: the sub-project's coordinator is told."""

    check: Check
    exit_number: int = Field(ge=1)
    left_on: date
    due_on: date
    counts_until: date


class LeavingOutcomeRecordedV1(AboutParticipant):
    """The situation upon leaving was recorded."""

    situation: SituationV1
    employed: bool
    observed_on: date
    left_on: date


@event("leaving-outcome.recorded", 2, topics=FOLLOWUP_EVENTS)
class LeavingOutcomeRecorded(AboutParticipant):
    """The situation upon leaving was recorded; within four weeks the last observation counts, later ones are late."""

    situation: Situation
    employed: bool = Field(description="employment by the programme's settings (flex-job, wage subsidy)")
    qualification_gained: bool | None
    observed_on: date
    left_on: date
    exit_number: int | None = Field(ge=1, description="None in a v1 fact")
    counts: bool = Field(description="this is now the participant's outcome upon leaving")
    late: bool = Field(description="observed after the four weeks: kept, never counted")
    supersedes: UUID | None = Field(description="the recorded fact whose outcome this one replaces")


class SixMonthResultRecordedV1(AboutParticipant):
    """The situation six months after leaving was recorded."""

    situation: SituationV1
    employed: bool
    observed_on: date
    left_on: date


@event("six-month-result.recorded", 2, topics=FOLLOWUP_EVENTS)
class SixMonthResultRecorded(AboutParticipant):
    """The situation six months after leaving was recorded; it counts up to the programme's limit for late results."""

    situation: SixMonthSituation
    employed: bool = Field(description="employment by the programme's settings (flex-job, wage subsidy)")
    improvement: Improvement | None
    observed_on: date
    left_on: date
    exit_number: int | None = Field(ge=1, description="None in a v1 fact")
    due_on: date
    counts: bool = Field(description="this is now the participant's six-month result")
    late: bool = Field(description="observed after the programme's limit for late results: kept, never counted")
    supersedes: UUID | None = Field(description="the recorded fact whose result this one replaces")


@event("reminder.sent", 1, topics=FOLLOWUP_EVENTS)
class ReminderSent(AboutParticipant):
    """A reminder email went to the responsible caseworker."""

    check: Check
    due_on: date
    reminder_number: int = Field(ge=1)


def to_event(data: Contract, *, source: str, cause: CloudEvent | None = None) -> CloudEvent:
    """Wrap contract data in an envelope under its registered wire name; a cause links correlation and causation."""
    return REGISTRY.to_event(data, source=source, cause=cause)


# --- older versions still found on the topics, with the pure functions that upcast them -------------------------
# referral.registered v1 (ReferralRegisteredV1, above: v2 extends it) as intake published it until v2 added the
# ESF+ age band; its schema file is unchanged.
def upcast_referral_registered_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: only "over-54" tells the ESF+ band (55 and over); the other v1 bands straddle two ESF+ bands."""
    return {**data, "age_band_esf_plus": "55-and-over" if data.get("age_band") == "over-54" else None}


REGISTRY.old_version("referral.registered", 1, ReferralRegisteredV1, upcast_referral_registered_v1)
V2_DISADVANTAGE_TO_V3 = {
    "disability": "disability",
    "migrant-or-minority": "migrant_or_foreign_background",  # v2 did not tell a migrant from a minority
    "other-disadvantage": "other_disadvantage",
}


def upcast_referral_registered_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 to v3: long-term unemployment becomes a flag beside the status; the list of disadvantages one answer each.

    v2 knew only "given" or "all refused": a characteristic it did not list was answered no (or refused), except a
    minority, which v2 folded into migrant-or-minority and so never asked apart.
    """
    status = data.get("labour_market_status")
    listed = {V2_DISADVANTAGE_TO_V3[d] for d in data.get("disadvantages", []) if d in V2_DISADVANTAGE_TO_V3}
    refused = bool(data.get("disadvantages_refused"))
    answers = {
        name: "refused" if refused else ("yes" if name in listed else "no") for name in V2_DISADVANTAGE_TO_V3.values()
    }
    for never_asked in ("minority", "homeless_or_housing_exclusion"):  # v2 had no question of its own for these
        answers[never_asked] = "refused" if refused else "not-asked"
    rest = {k: v for k, v in data.items() if k not in ("disadvantages", "disadvantages_refused")}
    return {
        **rest,
        "labour_market_status": "unemployed" if status == "long-term-unemployed" else status,
        "months_unemployed": None,
        "long_term_unemployed": status == "long-term-unemployed",
        "disadvantages": answers,
    }


REGISTRY.old_version("referral.registered", 2, ReferralRegisteredV2, upcast_referral_registered_v2)


# enrolment.enrol-participant v1 (EnrolParticipantV1, above) had no date: enrolment used the day it handled it.
def upcast_enrol_participant_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: no date given, so None, which enrolment reads as the day it handles the command (v1's meaning)."""
    return {**data, "enrolled_on": None}


REGISTRY.old_version("enrolment.enrol-participant", 1, EnrolParticipantV1, upcast_enrol_participant_v1)


# enrolment.confirmed v1 (EnrolmentConfirmedV1, above) did not say whether it was a re-entry.
def upcast_enrolment_confirmed_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: whether it was a re-entry is unknown (None)."""
    return {**data, "re_entry": None}


REGISTRY.old_version("enrolment.confirmed", 1, EnrolmentConfirmedV1, upcast_enrolment_confirmed_v1)


# participation.record-drop-out and participation.dropped-out v1 (the V1 models above) knew "personal" and neither
# "moved" nor "no-show".
def upcast_drop_out_reason_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: "personal" is now "other" (v2's reasons are the fund's: job, education, illness, moved, no-show)."""
    return {**data, "reason": "other"} if data.get("reason") == "personal" else dict(data)


# course.published v1 (CoursePublishedV1, above) had neither title, place nor waiting list.
def upcast_course_published_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: title, location and waiting list unknown (None)."""
    return {**data, "title": None, "location": None, "waiting_list_open": None}


REGISTRY.old_version("course.published", 1, CoursePublishedV1, upcast_course_published_v1)
REGISTRY.old_version("participation.record-drop-out", 1, RecordDropOutV1, upcast_drop_out_reason_v1)
REGISTRY.old_version("participation.dropped-out", 1, ParticipationDroppedOutV1, upcast_drop_out_reason_v1)


# followup.record-leaving-outcome and followup.record-six-month-result v1 (the V1 models above) had neither
# qualification nor improvement, and no wage-subsidy job.
def upcast_record_leaving_outcome_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: whether a qualification was gained is not known (None)."""
    return {**data, "qualification_gained": None}


V1_SIX_MONTH_SITUATION = {"pension": "inactive", "unknown": "unreachable"}  # v2's list has neither


def upcast_record_six_month_result_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: pension is inactive, unknown is unreachable; no improvement asked."""
    situation = str(data.get("situation"))
    return {**data, "situation": V1_SIX_MONTH_SITUATION.get(situation, situation), "improvement": None}


REGISTRY.old_version("followup.record-leaving-outcome", 1, RecordLeavingOutcomeV1, upcast_record_leaving_outcome_v1)
REGISTRY.old_version("followup.record-six-month-result", 1, RecordSixMonthResultV1, upcast_record_six_month_result_v1)

# The follow-up facts v1 (the V1 models above) did not know the exit, the counting window or what they superseded.
V1_LATE_RESULT_DAYS = 56  # the default limit for late six-month results, read into v1 facts that had none


def upcast_check_scheduled_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: a v1 leaving-outcome check was due on its last counting day; a six-month one counts 8 weeks on."""
    due = date.fromisoformat(str(data["due_on"]))
    counts_until = due if data.get("check") == "leaving-outcome" else due + timedelta(days=V1_LATE_RESULT_DAYS)
    return {**data, "exit_number": None, "counts_until": counts_until.isoformat(), "proposed_situation": None}


def upcast_leaving_outcome_recorded_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: it counts if observed within the four weeks (v1 recorded one outcome per exit)."""
    left, observed = date.fromisoformat(str(data["left_on"])), date.fromisoformat(str(data["observed_on"]))
    counts = left <= observed <= left + timedelta(days=28)
    return {
        **data,
        "qualification_gained": None,
        "exit_number": None,
        "counts": counts,
        "late": observed > left + timedelta(days=28),
        "supersedes": None,
    }


def upcast_six_month_result_recorded_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: due six calendar months after leaving; it counts if observed within the default limit."""
    from shared.fund_rules import six_months_after  # fund_rules imports this module's types

    due = six_months_after(date.fromisoformat(str(data["left_on"])))
    late = date.fromisoformat(str(data["observed_on"])) > due + timedelta(days=V1_LATE_RESULT_DAYS)
    situation = str(data.get("situation"))
    return {
        **data,
        "situation": V1_SIX_MONTH_SITUATION.get(situation, situation),
        "improvement": None,
        "exit_number": None,
        "due_on": due.isoformat(),
        "counts": not late,
        "late": late,
        "supersedes": None,
    }


REGISTRY.old_version("followup.check-scheduled", 1, CheckScheduledV1, upcast_check_scheduled_v1)
REGISTRY.old_version("leaving-outcome.recorded", 1, LeavingOutcomeRecordedV1, upcast_leaving_outcome_recorded_v1)
REGISTRY.old_version("six-month-result.recorded", 1, SixMonthResultRecordedV1, upcast_six_month_result_recorded_v1)
