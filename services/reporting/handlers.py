"""The projection: each fact sets what it says on its participant's row (idempotent by event id in the consumer).

A re-entry is one record for the fund: entry data from the first entry, exit and results from the final exit.
The catalogue's entries go to reporting's read model of it (services.reporting.catalogue).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting import catalogue, domain
from services.reporting.tables import ParticipantProgress
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent


async def on_referral(session: AsyncSession, fact: contracts.ReferralRegistered, event: CloudEvent) -> None:
    """Referred, with the characteristics of the indicators and breakdowns; a re-referral changes none of the first
    entry's, and the ages judged on the start date (participant.entered, on another topic) win whenever they came."""
    row = await _row(session, event, fact.participant_id)
    first = not row.referred
    row.referred = True
    row.programme_id, row.subproject_id, row.municipality = fact.programme_id, fact.subproject_id, fact.municipality
    row.target_group, row.gender = fact.target_group, fact.gender
    if not first:
        return
    row.referred_on = fact.referred_on
    row.labour_market_status, row.education_level = fact.labour_market_status, fact.education_level
    answers = fact.disadvantages
    row.disability, row.migrant, row.minority = (
        answers.disability,
        answers.migrant_or_foreign_background,
        answers.minority,
    )
    row.homeless, row.other_disadvantage = answers.homeless_or_housing_exclusion, answers.other_disadvantage
    if not row.age_judged_at_entry:
        row.age_band, row.age_band_esf_plus = fact.age_band, fact.age_band_esf_plus
        row.long_term_unemployed = fact.long_term_unemployed


async def on_entered(session: AsyncSession, fact: contracts.ParticipantEntered, event: CloudEvent) -> None:
    """The characteristics judged on the first start date (the fund's entry) replace those of the referral date."""
    row = await _row(session, event, fact.participant_id)
    row.entered_on, row.started, row.age_judged_at_entry = fact.entered_on, True, True
    row.age_band, row.age_band_esf_plus = fact.age_band, fact.age_band_esf_plus
    row.long_term_unemployed = fact.long_term_unemployed


async def on_enrolled(session: AsyncSession, fact: contracts.EnrolmentConfirmed, event: CloudEvent) -> None:
    """Enrolled on a course."""
    (await _row(session, event, fact.participant_id)).enrolled = True


async def on_waitlisted(session: AsyncSession, fact: contracts.EnrolmentWaitlisted, event: CloudEvent) -> None:
    """Put on a waiting list."""
    (await _row(session, event, fact.participant_id)).waitlisted = True


async def on_withdrawn(session: AsyncSession, fact: contracts.ParticipationWithdrawn, event: CloudEvent) -> None:
    """Withdrew before starting."""
    (await _row(session, event, fact.participant_id)).withdrawn = True


async def on_started(session: AsyncSession, fact: contracts.ParticipationStarted, event: CloudEvent) -> None:
    """Started: a participant in the fund's sense (the entry date comes with participant.entered)."""
    row = await _row(session, event, fact.participant_id)
    row.started = True
    if row.entered_on is None:
        row.entered_on = fact.started_on


async def on_completed(session: AsyncSession, fact: contracts.ParticipationCompleted, event: CloudEvent) -> None:
    """Completed the course: the latest exit is the one that counts."""
    _left(await _row(session, event, fact.participant_id), fact.left_on, completed=True)


async def on_dropped_out(session: AsyncSession, fact: contracts.ParticipationDroppedOut, event: CloudEvent) -> None:
    """Left early: a leaving all the same, for the indicators."""
    row = await _row(session, event, fact.participant_id)
    _left(row, fact.left_on, completed=False)
    row.drop_out_reason = fact.reason


async def on_leaving_date_corrected(
    session: AsyncSession, fact: contracts.LeavingDateCorrected, event: CloudEvent
) -> None:
    """The final exit's date was corrected."""
    row = await _row(session, event, fact.participant_id)
    if row.left_on == fact.previous_left_on:
        row.left_on = fact.left_on


async def on_drop_out_reason_corrected(
    session: AsyncSession, fact: contracts.DropOutReasonCorrected, event: CloudEvent
) -> None:
    """The final drop-out's reason was corrected."""
    row = await _row(session, event, fact.participant_id)
    if row.dropped_out:
        row.drop_out_reason = fact.drop_out_reason


async def on_leaving_outcome(session: AsyncSession, fact: contracts.LeavingOutcomeRecorded, event: CloudEvent) -> None:
    """The situation upon leaving, if follow-up says it counts (the last observation in 4 weeks) for the final exit."""
    row = await _row(session, event, fact.participant_id)
    exit_number = fact.exit_number or max(row.exits, 1)
    if not domain.counts_for(exit_number, exits_seen=row.exits, counted=row.upon_leaving_exit):
        return
    if fact.late:
        row.upon_leaving_late_exit = max(row.upon_leaving_late_exit or 0, exit_number)
        _late_flags(row)
    if fact.counts:
        row.employed_upon_leaving, row.upon_leaving_exit = fact.employed, exit_number
        row.upon_leaving_situation, row.qualification_gained = fact.situation, fact.qualification_gained


async def on_six_month(session: AsyncSession, fact: contracts.SixMonthResultRecorded, event: CloudEvent) -> None:
    """The situation six months after leaving, if it counts (before the limit for late results) for the final exit."""
    row = await _row(session, event, fact.participant_id)
    exit_number = fact.exit_number or max(row.exits, 1)
    if not domain.counts_for(exit_number, exits_seen=row.exits, counted=row.six_months_exit):
        return
    if fact.late:
        row.six_months_late_exit = max(row.six_months_late_exit or 0, exit_number)
        _late_flags(row)
    if fact.counts:
        row.employed_six_months, row.six_months_exit = fact.employed, exit_number
        row.six_months_situation, row.improvement = fact.situation, fact.improvement


async def on_erased(session: AsyncSession, fact: contracts.ParticipantErased, event: CloudEvent) -> None:
    """Erased in intake: the row holds nothing that leads back to the person, so it stays and is still counted."""
    (await _row(session, event, fact.participant_id)).erased = True


async def on_check_scheduled(session: AsyncSession, fact: contracts.CheckScheduled, event: CloudEvent) -> None:
    """A follow-up check of the final exit is open."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, "open")


async def on_check_overdue(session: AsyncSession, fact: contracts.CheckOverdue, event: CloudEvent) -> None:
    """A follow-up check went unanswered after its reminders."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, "overdue")


async def on_check_closed(session: AsyncSession, fact: contracts.CheckClosed, event: CloudEvent) -> None:
    """A follow-up check needs nothing more."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, "closed")


HANDLERS: Handlers = {
    contracts.ReferralRegistered: on_referral,
    contracts.ParticipantEntered: on_entered,
    contracts.EnrolmentConfirmed: on_enrolled,
    contracts.EnrolmentWaitlisted: on_waitlisted,
    contracts.ParticipationWithdrawn: on_withdrawn,
    contracts.ParticipationStarted: on_started,
    contracts.ParticipationCompleted: on_completed,
    contracts.ParticipationDroppedOut: on_dropped_out,
    contracts.LeavingDateCorrected: on_leaving_date_corrected,
    contracts.DropOutReasonCorrected: on_drop_out_reason_corrected,
    contracts.LeavingOutcomeRecorded: on_leaving_outcome,
    contracts.SixMonthResultRecorded: on_six_month,
    contracts.CheckScheduled: on_check_scheduled,
    contracts.CheckOverdue: on_check_overdue,
    contracts.CheckClosed: on_check_closed,
    contracts.ParticipantErased: on_erased,
    **catalogue.HANDLERS,
}


def _set_check(row: ParticipantProgress, check: contracts.Check, state: str) -> None:
    if check == "leaving-outcome":
        row.leaving_check = state
    else:
        row.six_month_check = state


def _left(row: ParticipantProgress, left_on: date, *, completed: bool) -> None:
    """A new exit replaces the earlier one's results, unless follow-up's result for this exit came first."""
    row.exits += 1
    row.completed, row.dropped_out, row.left_on = completed, not completed, left_on
    row.drop_out_reason = None
    if row.upon_leaving_exit is not None and row.upon_leaving_exit < row.exits:
        row.employed_upon_leaving, row.upon_leaving_exit = False, None
        row.upon_leaving_situation, row.qualification_gained = None, None
    if row.six_months_exit is not None and row.six_months_exit < row.exits:
        row.employed_six_months, row.six_months_exit = False, None
        row.six_months_situation, row.improvement = None, None
    _late_flags(row)


def _late_flags(row: ParticipantProgress) -> None:
    """A result came too late for the final exit (an earlier exit's late results no longer matter)."""
    final = max(row.exits, 1)
    row.upon_leaving_late = (row.upon_leaving_late_exit or 0) >= final
    row.six_months_late = (row.six_months_late_exit or 0) >= final


async def _row(session: AsyncSession, event: CloudEvent, participant_id: UUID) -> ParticipantProgress:
    row = await session.get(ParticipantProgress, participant_id, with_for_update=True)
    if row is None:  # facts from other topics may arrive before the referral
        row = ParticipantProgress(participant_id=participant_id)
        session.add(row)
    if row.last_event_at is None or event.time > row.last_event_at:
        row.last_event_at = event.time
    return row
