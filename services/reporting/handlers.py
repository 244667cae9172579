"""The projection: each fact sets a milestone on its participant's row (idempotent by event id in the consumer).

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
    """Referred, with the characteristics of the breakdowns."""
    row = await _row(session, event, fact.participant_id)
    row.referred = True
    row.programme_id, row.subproject_id, row.municipality = fact.programme_id, fact.subproject_id, fact.municipality
    row.gender, row.age_band = fact.gender, fact.age_band


async def on_entered(session: AsyncSession, fact: contracts.ParticipantEntered, event: CloudEvent) -> None:
    """The age at entry, judged on the first start date, replaces the one on the referral date."""
    (await _row(session, event, fact.participant_id)).age_band = fact.age_band


async def on_enrolled(session: AsyncSession, fact: contracts.EnrolmentConfirmed, event: CloudEvent) -> None:
    """Enrolled on a course."""
    (await _row(session, event, fact.participant_id)).enrolled = True


async def on_completed(session: AsyncSession, fact: contracts.ParticipationCompleted, event: CloudEvent) -> None:
    """Completed the course: the latest exit is the one that counts."""
    _left(await _row(session, event, fact.participant_id), fact.left_on, completed=True)


async def on_dropped_out(session: AsyncSession, fact: contracts.ParticipationDroppedOut, event: CloudEvent) -> None:
    """Left early: a leaving all the same, for the indicators."""
    _left(await _row(session, event, fact.participant_id), fact.left_on, completed=False)


async def on_leaving_outcome(session: AsyncSession, fact: contracts.LeavingOutcomeRecorded, event: CloudEvent) -> None:
    """The situation upon leaving, if follow-up says it counts (the last observation in 4 weeks) for the final exit."""
    row = await _row(session, event, fact.participant_id)
    exit_number = fact.exit_number or max(row.exits, 1)
    if domain.counts_for(exit_number, exits_seen=row.exits, counted=row.upon_leaving_exit) and fact.counts:
        row.employed_upon_leaving, row.upon_leaving_exit = fact.employed, exit_number


async def on_six_month(session: AsyncSession, fact: contracts.SixMonthResultRecorded, event: CloudEvent) -> None:
    """The situation six months after leaving, if it counts (before the limit for late results) for the final exit."""
    row = await _row(session, event, fact.participant_id)
    exit_number = fact.exit_number or max(row.exits, 1)
    if domain.counts_for(exit_number, exits_seen=row.exits, counted=row.six_months_exit) and fact.counts:
        row.employed_six_months, row.six_months_exit = fact.employed, exit_number


def _left(row: ParticipantProgress, left_on: date, *, completed: bool) -> None:
    """A new exit replaces the earlier one's results, unless follow-up's result for this exit came first."""
    row.exits += 1
    row.completed, row.left_on = completed, left_on
    if row.upon_leaving_exit is not None and row.upon_leaving_exit < row.exits:
        row.employed_upon_leaving, row.upon_leaving_exit = False, None
    if row.six_months_exit is not None and row.six_months_exit < row.exits:
        row.employed_six_months, row.six_months_exit = False, None


HANDLERS: Handlers = {
    contracts.ReferralRegistered: on_referral,
    contracts.ParticipantEntered: on_entered,
    contracts.EnrolmentConfirmed: on_enrolled,
    contracts.ParticipationCompleted: on_completed,
    contracts.ParticipationDroppedOut: on_dropped_out,
    contracts.LeavingOutcomeRecorded: on_leaving_outcome,
    contracts.SixMonthResultRecorded: on_six_month,
    **catalogue.HANDLERS,
}


async def _row(session: AsyncSession, event: CloudEvent, participant_id: UUID) -> ParticipantProgress:
    row = await session.get(ParticipantProgress, participant_id, with_for_update=True)
    if row is None:  # facts from other topics may arrive before the referral
        row = ParticipantProgress(participant_id=participant_id)
        session.add(row)
    if row.last_event_at is None or event.time > row.last_event_at:
        row.last_event_at = event.time
    return row
