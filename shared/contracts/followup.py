"""Follow-up's facts (followup.outcome.events): the checks after a leaving, the results recorded, the reminders sent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from pydantic import Field

from shared.contracts.base import REGISTRY, AboutParticipant, event
from shared.contracts.vocabulary import (
    V1_SIX_MONTH_SITUATION,
    Check,
    CheckClosedReason,
    Improvement,
    Situation,
    SituationV1,
    SixMonthSituation,
)
from shared.fund_rules import six_months_after
from shared.topics import FOLLOWUP_EVENTS

# The v1 facts did not know the exit, the counting window or what they superseded.
V1_LATE_RESULT_DAYS = 56  # the default limit for late six-month results, read into v1 facts that had none


@event("followup.check-scheduled", 2, topics=FOLLOWUP_EVENTS)
class CheckScheduled(AboutParticipant):
    """A follow-up check was set (or moved) from an exit: asked for from due_on, counting until counts_until."""

    check: Check
    exit_number: int | None = Field(ge=1, description="the participant's nth exit; None in a v1 fact")
    left_on: date
    due_on: date
    counts_until: date = Field(description="the last day a recorded result still counts")
    proposed_situation: Situation | None = Field(default=None, description="proposed by a drop-out's reason")


class CheckScheduledV1(AboutParticipant):
    """A follow-up deadline was set from the leaving date."""

    check: Check
    left_on: date
    due_on: date


def upcast_check_scheduled_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: a v1 leaving-outcome check was due on its last counting day; a six-month one counts 8 weeks on."""
    due = date.fromisoformat(str(data["due_on"]))
    counts_until = due if data.get("check") == "leaving-outcome" else due + timedelta(days=V1_LATE_RESULT_DAYS)
    return {**data, "exit_number": None, "counts_until": counts_until.isoformat(), "proposed_situation": None}


REGISTRY.old_version("followup.check-scheduled", 1, CheckScheduledV1, upcast_check_scheduled_v1)


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


class LeavingOutcomeRecordedV1(AboutParticipant):
    """The situation upon leaving was recorded."""

    situation: SituationV1
    employed: bool
    observed_on: date
    left_on: date


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


REGISTRY.old_version("leaving-outcome.recorded", 1, LeavingOutcomeRecordedV1, upcast_leaving_outcome_recorded_v1)


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


class SixMonthResultRecordedV1(AboutParticipant):
    """The situation six months after leaving was recorded."""

    situation: SituationV1
    employed: bool
    observed_on: date
    left_on: date


def upcast_six_month_result_recorded_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: due six calendar months after leaving; it counts if observed within the default limit."""
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


REGISTRY.old_version("six-month-result.recorded", 1, SixMonthResultRecordedV1, upcast_six_month_result_recorded_v1)


@event("reminder.sent", 1, topics=FOLLOWUP_EVENTS)
class ReminderSent(AboutParticipant):
    """A reminder email went to the responsible caseworker."""

    check: Check
    due_on: date
    reminder_number: int = Field(ge=1)
