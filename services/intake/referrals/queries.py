"""A referral's reads: the citizen's open case in a programme (or the next case number), and whether a case ended."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import (
    CHECK_CLOSED,
    CHECK_SCHEDULED,
    LEAVING_FACTS,
    LEAVING_OUTCOME_RECORDED,
    PLACING_FACTS,
    SIX_MONTH_RESULT_RECORDED,
    WITHDRAWN,
)
from shared.db import run

_EXISTING_OR_NEXT_NUMBER = text(
    "SELECT p.id, CASE WHEN p.id IS NULL THEN nextval('case_reference_seq') END AS number"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN participant p ON p.cpr_hash = :cpr_hash AND p.programme_id = :programme AND p.status = 'active'"
)


async def case_or_next_number(
    session: AsyncSession, *, cpr_hash: bytes, programme_id: str
) -> tuple[UUID | None, int | None]:
    """The citizen's active case in the programme, or else the next case number: one round trip (bench/intake.py)."""
    known_id, number = (
        await run(session, _EXISTING_OR_NEXT_NUMBER, {"cpr_hash": cpr_hash, "programme": programme_id})
    ).one()
    return known_id, number


_CASE_STATE = text(
    """
WITH latest AS (
    SELECT event_type, data->>'left_on' AS left_on FROM timeline_entry
    WHERE participant_id = :p AND event_type = ANY(:placing) ORDER BY id DESC LIMIT 1
)
SELECT latest.event_type,
       EXISTS (
           SELECT 1 FROM timeline_entry s
           WHERE s.participant_id = :p AND s.event_type = :check_scheduled
             AND s.data->>'left_on' = latest.left_on
             AND NOT EXISTS (  -- closed, or announced anew, since (as the caseload query reads it)
                 SELECT 1 FROM timeline_entry r
                 WHERE r.participant_id = :p AND r.id > s.id AND r.data->>'check' = s.data->>'check'
                   AND r.event_type IN (:check_closed, :check_scheduled))
             AND NOT EXISTS (  -- facts from before check-closed: a result recorded for the same exit
                 SELECT 1 FROM timeline_entry r
                 WHERE r.participant_id = :p AND r.data->>'left_on' = s.data->>'left_on'
                   AND r.event_type = CASE s.data->>'check' WHEN 'leaving-outcome' THEN :leaving_outcome_recorded
                                                            ELSE :six_month_result_recorded END)
       ) AS open_checks
FROM latest
"""
)


async def case_ended(session: AsyncSession, participant_id: UUID) -> bool:
    """The case is over: the participant withdrew, or left and follow-up closed every check of that exit."""
    row = (
        await run(
            session,
            _CASE_STATE,
            {
                "p": participant_id,
                "placing": list(PLACING_FACTS),
                "check_scheduled": CHECK_SCHEDULED,
                "check_closed": CHECK_CLOSED,
                "leaving_outcome_recorded": LEAVING_OUTCOME_RECORDED,
                "six_month_result_recorded": SIX_MONTH_RESULT_RECORDED,
            },
        )
    ).first()
    if row is None:
        return False  # referred and never placed on a course: the case is open
    latest, open_checks = row
    return bool(latest == WITHDRAWN or (latest in LEAVING_FACTS and not open_checks))
