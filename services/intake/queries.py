"""Intake's reads: a participant as a caseworker may see them, the timeline, a command's answer."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.caseload import STATUS_OF_FACT
from services.intake.tables import Participant, PendingCommand, TimelineEntry
from shared.auth import MUNICIPAL, Principal


async def find_participant(session: AsyncSession, participant_id: UUID, *, principal: Principal) -> Participant | None:
    """The participant, if the user may reach it (others get None, answered as 404).

    A caseworker or team lead reaches their municipality's participants; provider staff those whose current course
    belongs to one of their sub-projects.
    """
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return None
    if principal.has(*MUNICIPAL) and participant.municipality == principal.municipality:
        return participant
    if principal.has("provider-staff") and await current_subproject(session, participant_id) in principal.subprojects:
        return participant
    return None


# The facts that place a participant on a course (the caseload's status facts); the latest one says where they are.
PLACING_FACTS = tuple(STATUS_OF_FACT)


async def current_subproject(session: AsyncSession, participant_id: UUID) -> str | None:
    """The sub-project of the course the participant's latest participation fact names, per the catalogue."""
    row = (
        await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT c.subproject_id FROM timeline_entry t JOIN catalogue_course c ON c.id = t.data->>'course_id'"
                " WHERE t.participant_id = :p AND t.event_type = ANY(:types) ORDER BY t.id DESC LIMIT 1"
            ),
            params={"p": participant_id, "types": list(PLACING_FACTS)},
        )
    ).first()
    return str(row[0]) if row else None


async def timeline_entries(session: AsyncSession, participant_id: UUID) -> list[TimelineEntry]:
    """The participant's facts in the order intake received them."""
    query = select(TimelineEntry).where(TimelineEntry.participant_id == participant_id).order_by(col(TimelineEntry.id))
    return list((await session.exec(query)).all())


async def pending_commands(session: AsyncSession, participant_id: UUID) -> list[PendingCommand]:
    """The participant's commands still waiting for their answer, oldest first."""
    query = (
        select(PendingCommand)
        .where(PendingCommand.participant_id == participant_id, PendingCommand.status == "pending")
        .order_by(col(PendingCommand.created_at))
    )
    return list((await session.exec(query)).all())


_CASE_STATE = text(
    """
WITH latest AS (
    SELECT event_type, data->>'left_on' AS left_on FROM timeline_entry
    WHERE participant_id = :p AND event_type = ANY(:placing) ORDER BY id DESC LIMIT 1
)
SELECT latest.event_type,
       EXISTS (
           SELECT 1 FROM timeline_entry s
           WHERE s.participant_id = :p AND s.event_type = 'followup.check-scheduled'
             AND s.data->>'left_on' = latest.left_on
             AND NOT EXISTS (  -- closed, or announced anew, since (as the caseload query reads it)
                 SELECT 1 FROM timeline_entry r
                 WHERE r.participant_id = :p AND r.id > s.id AND r.data->>'check' = s.data->>'check'
                   AND r.event_type IN ('followup.check-closed', 'followup.check-scheduled'))
             AND NOT EXISTS (  -- facts from before check-closed: a result recorded for the same exit
                 SELECT 1 FROM timeline_entry r
                 WHERE r.participant_id = :p AND r.data->>'left_on' = s.data->>'left_on'
                   AND r.event_type = CASE s.data->>'check' WHEN 'leaving-outcome' THEN 'leaving-outcome.recorded'
                                                            ELSE 'six-month-result.recorded' END)
       ) AS open_checks
FROM latest
"""
)


async def case_ended(session: AsyncSession, participant_id: UUID) -> bool:
    """The case is over: the participant withdrew, or left and follow-up closed every check of that exit."""
    row = (
        await session.exec(  # type: ignore[call-overload]
            _CASE_STATE, params={"p": participant_id, "placing": list(PLACING_FACTS)}
        )
    ).first()
    if row is None:
        return False  # referred and never placed on a course: the case is open
    latest, open_checks = row
    return bool(latest == "participation.withdrawn" or (latest in LEAVING_FACTS and not open_checks))


LEAVING_FACTS = ("participation.completed", "participation.dropped-out")
