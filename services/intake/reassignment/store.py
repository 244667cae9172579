"""Where a move is written: the cases' new caseworker, and one case.reassigned per case in the outbox (an adapter the
use case calls, in its transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE
from services.intake.reassignment.domain import Case, Caseworker
from shared.contracts import CaseReassigned, ReassignmentReason
from shared.db import run
from shared.outbox import publish

_MOVE = text("UPDATE participant SET caseworker_subject = :s, caseworker_email = :e WHERE id = ANY(:ids)")


async def move(
    session: AsyncSession,
    cases: Sequence[Case],
    to: Caseworker,
    *,
    reason: ReassignmentReason,
    reassignment_id: UUID,
    at: datetime,
) -> None:
    """Give the cases to the caseworker, and stage one case.reassigned per case (follow-up reminds the new one)."""
    if not cases:
        return
    await run(session, _MOVE, {"s": to.subject, "e": to.email, "ids": [case.id for case in cases]})
    for case in cases:
        publish(
            session,
            CaseReassigned(
                participant_id=case.id,
                case_reference=case.case_reference,
                reassignment_id=reassignment_id,
                previous_caseworker_email=case.caseworker_email,
                caseworker_email=to.email,
                reason=reason,
                reassigned_at=at,
            ),
            source=SOURCE,
        )
