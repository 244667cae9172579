"""The team lead's API for moving cases: POST /reassignments, a result per case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.intake import idempotency
from services.intake.deps import Sessions
from services.intake.idempotency import IdempotencyKey
from services.intake.reassignment.domain import NOT_A_TEAM_LEAD
from services.intake.reassignment.schemas import ReassignmentIn, ReassignmentOut
from services.intake.reassignment.service import reassign
from shared.auth import Principal, require_role
from shared.db import unit_of_work
from shared.problems import refusal
from shared.rejection import Refused

router = APIRouter()
# A team lead of one municipality (require_role checks the token names it); the use case checks the role again, for
# the pages that call it too.
TeamLead = Annotated[Principal, Depends(require_role("team-lead"))]


@router.post("/reassignments", tags=["reassignment"], response_model=ReassignmentOut)
async def post_reassignment(
    body: ReassignmentIn, sessions: Sessions, principal: TeamLead, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Move cases of the municipality to another of its caseworkers, with a reason: each case's result; each move
    is audited and published as case.reassigned, so reminders go to the new caseworker."""
    asked = idempotency.fingerprint("POST", "/reassignments", body.model_dump(mode="json")) if idempotency_key else ""
    try:
        async with unit_of_work(sessions) as session:
            answer = await reassign(
                session, principal=principal, asked=body.to_reassignment(), key=idempotency_key, fingerprint=asked
            )
    except Refused as refused:  # nothing kept
        answer = refused.rejection
    if answer is NOT_A_TEAM_LEAD:
        return refusal(answer, 403)
    if not isinstance(answer, dict):  # the caseworker named may not take the cases: nothing moved
        return refusal(answer, 422)
    return JSONResponse(answer)
