"""The commands intake sends on a caseworker's behalf: to enrolment (enrolment.commands) and to follow-up.

Each has one handler, in the service that owns its topic, which may refuse it (command.rejected).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from shared.contracts.base import REGISTRY, AboutParticipant, event
from shared.contracts.vocabulary import (
    CODE_PATTERN,
    V1_SIX_MONTH_SITUATION,
    Code,
    CorrectionReason,
    DropOutReason,
    DropOutReasonV1,
    Improvement,
    Situation,
    SituationV1,
    SixMonthSituation,
    WithdrawalReason,
)
from shared.topics import ENROLMENT_COMMANDS, FOLLOWUP_COMMANDS


# --- to enrolment -----------------------------------------------------------------------------------------------
class EnrolParticipantV1(AboutParticipant):
    """Command: enrol a referred participant on a course."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    course_id: Code = Field(pattern=CODE_PATTERN)


@event("enrolment.enrol-participant", 2, topics=ENROLMENT_COMMANDS, kind="command")
class EnrolParticipant(EnrolParticipantV1):
    """Command: enrol a referred participant on a course."""

    # v2: the real-world date the caseworker gives; None only for a v1 command, which meant "the day it is handled".
    enrolled_on: date | None = None


# enrolment.enrol-participant v1 (EnrolParticipantV1, above) had no date: enrolment used the day it handled it.
def upcast_enrol_participant_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: no date given, so None, which enrolment reads as the day it handles the command (v1's meaning)."""
    return {**data, "enrolled_on": None}


REGISTRY.old_version("enrolment.enrol-participant", 1, EnrolParticipantV1, upcast_enrol_participant_v1)


@event("participation.record-start", 1, topics=ENROLMENT_COMMANDS, kind="command")
class RecordStart(AboutParticipant):
    """Command: the participant started the course."""

    started_on: date


@event("participation.record-completion", 1, topics=ENROLMENT_COMMANDS, kind="command")
class RecordCompletion(AboutParticipant):
    """Command: the participant completed the course (the leaving date)."""

    completed_on: date


@event("participation.record-drop-out", 2, topics=ENROLMENT_COMMANDS, kind="command")
class RecordDropOut(AboutParticipant):
    """Command: the participant left the course early."""

    dropped_out_on: date
    reason: DropOutReason  # v2: moved and no-show added, personal folded into other


class RecordDropOutV1(AboutParticipant):
    """Command: the participant left the course early."""

    dropped_out_on: date
    reason: DropOutReasonV1


# participation.record-drop-out v1 and participation.dropped-out v1 knew "personal" and neither "moved" nor "no-show".
def upcast_drop_out_reason_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: "personal" is now "other" (v2's reasons are the fund's: job, education, illness, moved, no-show)."""
    return {**data, "reason": "other"} if data.get("reason") == "personal" else dict(data)


REGISTRY.old_version("participation.record-drop-out", 1, RecordDropOutV1, upcast_drop_out_reason_v1)


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


# --- to follow-up -----------------------------------------------------------------------------------------------
@event("followup.record-leaving-outcome", 2, topics=FOLLOWUP_COMMANDS, kind="command")
class RecordLeavingOutcome(AboutParticipant):
    """Command: the participant's situation upon leaving, and whether a qualification was gained (CR03)."""

    situation: Situation
    qualification_gained: bool | None = Field(default=None, description="None: not known")
    observed_on: date


class RecordLeavingOutcomeV1(AboutParticipant):
    """Command: the participant's situation upon leaving (within four weeks)."""

    situation: SituationV1
    observed_on: date


# followup.record-leaving-outcome v1 had no qualification, and no wage-subsidy job.
def upcast_record_leaving_outcome_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: whether a qualification was gained is not known (None)."""
    return {**data, "qualification_gained": None}


REGISTRY.old_version("followup.record-leaving-outcome", 1, RecordLeavingOutcomeV1, upcast_record_leaving_outcome_v1)


@event("followup.record-six-month-result", 2, topics=FOLLOWUP_COMMANDS, kind="command")
class RecordSixMonthResult(AboutParticipant):
    """Command: the participant's situation six months after leaving, and for one employed at entry, the change."""

    situation: SixMonthSituation
    improvement: Improvement | None = Field(default=None, description="only for a participant employed at entry")
    observed_on: date


class RecordSixMonthResultV1(AboutParticipant):
    """Command: the participant's situation six months after leaving."""

    situation: SituationV1
    observed_on: date


# followup.record-six-month-result v1 had no improvement, and v1's situations.
def upcast_record_six_month_result_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: pension is inactive, unknown is unreachable; no improvement asked."""
    situation = str(data.get("situation"))
    return {**data, "situation": V1_SIX_MONTH_SITUATION.get(situation, situation), "improvement": None}


REGISTRY.old_version("followup.record-six-month-result", 1, RecordSixMonthResultV1, upcast_record_six_month_result_v1)
