"""The projection: each fact sets a milestone on its participant's row (idempotent by event id upstream)."""

from __future__ import annotations

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.tables import ParticipantProgress
from shared import contracts
from shared.envelope import CloudEvent, parse_data
from shared.kafka import EventHandler


async def _row(session: AsyncSession, event: CloudEvent, participant_id: UUID) -> ParticipantProgress:
    row = await session.get(ParticipantProgress, participant_id, with_for_update=True)
    if row is None:  # facts from other topics may arrive before the referral
        row = ParticipantProgress(participant_id=participant_id)
        session.add(row)
    if row.last_event_at is None or event.time > row.last_event_at:
        row.last_event_at = event.time
    return row


async def on_referral(session: AsyncSession, event: CloudEvent) -> None:
    """Referred, with the characteristics of the breakdowns."""
    fact = parse_data(contracts.ReferralRegistered, event)
    row = await _row(session, event, fact.participant_id)
    row.referred = True
    row.programme_id, row.subproject_id, row.municipality = fact.programme_id, fact.subproject_id, fact.municipality
    row.gender, row.age_band = fact.gender, fact.age_band


async def on_enrolled(session: AsyncSession, event: CloudEvent) -> None:
    """Enrolled on a course."""
    fact = parse_data(contracts.EnrolmentConfirmed, event)
    (await _row(session, event, fact.participant_id)).enrolled = True


async def on_completed(session: AsyncSession, event: CloudEvent) -> None:
    """Completed the course."""
    fact = parse_data(contracts.ParticipationCompleted, event)
    row = await _row(session, event, fact.participant_id)
    row.completed, row.left_on = True, fact.left_on


async def on_dropped_out(session: AsyncSession, event: CloudEvent) -> None:
    """Left early: a leaving all the same, for the indicators."""
    fact = parse_data(contracts.ParticipationDroppedOut, event)
    (await _row(session, event, fact.participant_id)).left_on = fact.left_on


async def on_leaving_outcome(session: AsyncSession, event: CloudEvent) -> None:
    """Employed upon leaving counts only if observed within four weeks of the exit."""
    fact = parse_data(contracts.LeavingOutcomeRecorded, event)
    within = (fact.observed_on - fact.left_on).days <= 28
    (await _row(session, event, fact.participant_id)).employed_upon_leaving = fact.employed and within


async def on_six_month(session: AsyncSession, event: CloudEvent) -> None:
    """Employed six months after leaving."""
    fact = parse_data(contracts.SixMonthResultRecorded, event)
    (await _row(session, event, fact.participant_id)).employed_six_months = fact.employed


HANDLERS: dict[str, tuple[int, EventHandler]] = {
    "referral.registered": (1, on_referral),
    "enrolment.confirmed": (1, on_enrolled),
    "participation.completed": (1, on_completed),
    "participation.dropped-out": (1, on_dropped_out),
    "leaving-outcome.recorded": (1, on_leaving_outcome),
    "six-month-result.recorded": (1, on_six_month),
}
