"""The projection: each fact sets what it says on its participant's row (idempotent by event id in the consumer).

A re-entry is one record for the fund: entry data from the first entry, exit and results from the final exit.
The catalogue's entries go to reporting's read model of it (services.reporting.catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting import catalogue, domain
from services.reporting.tables import ParticipantProgress
from shared import contracts
from shared.consumer import Folded, Handlers
from shared.envelope import CloudEvent


async def on_referral(session: AsyncSession, fact: contracts.ReferralRegistered, event: CloudEvent) -> None:
    """Referred, with the characteristics of the indicators and breakdowns. Entry data are the first entry's: a
    re-referral before any start states them afresh, one after the entry (participant.entered seen) changes only where
    the case belongs; the ages judged on the start date win whichever came first."""
    row = await _row(session, event, fact.participant_id)
    first = not row.referred
    row.referred = True
    row.programme_id, row.subproject_id, row.municipality = fact.programme_id, fact.subproject_id, fact.municipality
    row.target_group, row.gender = fact.target_group, fact.gender
    if not first and row.age_judged_at_entry:  # a re-referral after the entry: the entry's data are kept
        return
    row.referred_on = fact.referred_on
    row.labour_market_status, row.education_level = fact.labour_market_status, fact.education_level
    answers = fact.disadvantages
    row.disability, row.migrant, row.minority = (
        domain.Answer(answers.disability),
        domain.Answer(answers.migrant_or_foreign_background),
        domain.Answer(answers.minority),
    )
    row.homeless = domain.Answer(answers.homeless_or_housing_exclusion)
    row.other_disadvantage = domain.Answer(answers.other_disadvantage)
    row.third_country_national = domain.Answer(answers.third_country_national)
    row.rural_area = domain.Answer(answers.rural_area)
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


@dataclass(frozen=True)
class CheckColumns:
    """Where one follow-up check stands on a participant's row: the result that counts, late records, its state."""

    exit: str  # which exit the counted result belongs to
    late_exit: str  # which exit the latest late record was about
    employed: str
    situation: str
    detail: str  # what else the result says: a qualification gained upon leaving, an improvement at six months
    state: str  # where the check stands

    def __post_init__(self) -> None:
        unknown = set(vars(self).values()) - ParticipantProgress.model_fields.keys()
        assert not unknown, f"not columns of participant_progress: {unknown}"

    def clear(self, row: ParticipantProgress) -> None:
        """No result counts (a later exit replaced the one it was about)."""
        for name, value in ((self.employed, False), (self.exit, None), (self.situation, None), (self.detail, None)):
            setattr(row, name, value)


RESULTS: dict[contracts.Check, CheckColumns] = {
    "leaving-outcome": CheckColumns(
        exit="upon_leaving_exit",
        late_exit="upon_leaving_late_exit",
        employed="employed_upon_leaving",
        situation="upon_leaving_situation",
        detail="qualification_gained",
        state="leaving_check",
    ),
    "six-month": CheckColumns(
        exit="six_months_exit",
        late_exit="six_months_late_exit",
        employed="employed_six_months",
        situation="six_months_situation",
        detail="improvement",
        state="six_month_check",
    ),
}


async def on_result(
    session: AsyncSession,
    fact: contracts.LeavingOutcomeRecorded | contracts.SixMonthResultRecorded,
    event: CloudEvent,
) -> None:
    """A result of the final exit, if follow-up says it counts (upon leaving: the last observation in 4 weeks; six
    months after: before the limit for late results); a late one is flagged."""
    row = await _row(session, event, fact.participant_id)
    detail: bool | str | None
    if isinstance(fact, contracts.LeavingOutcomeRecorded):
        columns, detail = RESULTS["leaving-outcome"], fact.qualification_gained
    else:
        columns, detail = RESULTS["six-month"], fact.improvement
    exit_number = fact.exit_number or max(row.exits, 1)
    if not domain.counts_for(exit_number, exits_seen=row.exits, counted=getattr(row, columns.exit)):
        return
    if fact.late:
        setattr(row, columns.late_exit, max(getattr(row, columns.late_exit) or 0, exit_number))
        _late_flags(row)
    if fact.counts:
        setattr(row, columns.employed, fact.employed)
        setattr(row, columns.exit, exit_number)
        setattr(row, columns.situation, fact.situation)
        setattr(row, columns.detail, detail)


async def on_register_observed(
    session: AsyncSession, fact: contracts.SixMonthResultRegisterObserved, event: CloudEvent
) -> None:
    """A register's finding for the final exit's six-month check; what it counts for is the programme's setting,
    read where the figures are counted."""
    row = await _row(session, event, fact.participant_id)
    if domain.counts_for(fact.exit_number, exits_seen=row.exits, counted=row.register_exit):
        row.register_exit, row.register_finding, row.register_situation = fact.exit_number, fact.finding, fact.situation


async def on_erased(session: AsyncSession, fact: contracts.ParticipantErased, event: CloudEvent) -> None:
    """Erased in intake: the row holds nothing that leads back to the person, so it stays and is still counted."""
    (await _row(session, event, fact.participant_id)).erased = True


async def on_check_scheduled(session: AsyncSession, fact: contracts.CheckScheduled, event: CloudEvent) -> None:
    """A follow-up check of the final exit is open."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, domain.CheckState.OPEN)


async def on_check_overdue(session: AsyncSession, fact: contracts.CheckOverdue, event: CloudEvent) -> None:
    """A follow-up check went unanswered after its reminders."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, domain.CheckState.OVERDUE)


async def on_check_closed(session: AsyncSession, fact: contracts.CheckClosed, event: CloudEvent) -> None:
    """A follow-up check needs nothing more."""
    _set_check(await _row(session, event, fact.participant_id), fact.check, domain.CheckState.CLOSED)


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
    contracts.LeavingOutcomeRecorded: on_result,
    contracts.SixMonthResultRecorded: on_result,
    contracts.SixMonthResultRegisterObserved: on_register_observed,
    contracts.CheckScheduled: on_check_scheduled,
    contracts.CheckOverdue: on_check_overdue,
    contracts.CheckClosed: on_check_closed,
    contracts.ParticipantErased: on_erased,
    **catalogue.HANDLERS,
}
# The participant facts only get and add their participant's row: a poll of them is folded in memory
FOLDED = Folded(ParticipantProgress, frozenset(HANDLERS) - frozenset(catalogue.HANDLERS))


def _set_check(row: ParticipantProgress, check: contracts.Check, state: domain.CheckState) -> None:
    setattr(row, RESULTS[check].state, state)


def _left(row: ParticipantProgress, left_on: date, *, completed: bool) -> None:
    """A new exit replaces the earlier one's results, unless follow-up's result for this exit came first."""
    row.exits += 1
    row.completed, row.dropped_out, row.left_on = completed, not completed, left_on
    row.drop_out_reason = None
    for columns in RESULTS.values():
        counted: int | None = getattr(row, columns.exit)
        if counted is not None and counted < row.exits:
            columns.clear(row)
    if row.register_exit is not None and row.register_exit < row.exits:
        row.register_exit = row.register_finding = row.register_situation = None
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
