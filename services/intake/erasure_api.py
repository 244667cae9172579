"""The administrator's erasure of a participant's personal data (GDPR art. 17); see services.intake.erasure."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.api import Strict, sessions_of
from services.intake.domain import erasure_note_problem
from services.intake.erasure import erase
from services.intake.keys import key_of
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import ErasureBasis
from shared.db import unit_of_work
from shared.problems import refusal

router = APIRouter(tags=["participants"])
Administrator = Annotated[Principal, Depends(require_role("administrator"))]
NOTE_PATTERN = r"^[^<>{}\x00-\x1f\x7f]+$"  # free text without markup or control characters


class ErasureIn(Strict):
    """Why the personal data are erased."""

    reason: ErasureBasis = Field(
        description="request: the citizen asked (art. 17); consent-withdrawn: consent, the only basis, was withdrawn;"
        " retention: the retention period is over"
    )
    note: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=NOTE_PATTERN,
        description="the administrator's note, kept with the erasure; it must not name the citizen",
    )


class ErasureLinks(BaseModel):
    """What still answers."""

    timeline: str


class ErasureOut(BaseModel):
    """The participant's personal data are erased: when, on which basis; the pseudonymous facts stay."""

    participant_id: UUID
    case_reference: str
    erased_on: date
    basis: ErasureBasis
    links: ErasureLinks


@router.post("/participants/{participant_id}/erasure", response_model=ErasureOut)
async def erase_participant(
    participant_id: UUID, body: ErasureIn, request: Request, principal: Administrator
) -> JSONResponse:
    """Destroy the participant's personal data for good and tell the other services; erasing again changes nothing
    and answers the same."""
    vault: Vault = request.app.state.vault
    async with unit_of_work(sessions_of(request)) as session:
        participant = await session.get(Participant, participant_id, with_for_update=True)
        if participant is None:
            raise HTTPException(404, "no such participant")
        if body.note is not None and participant.cpr_encrypted and participant.name_encrypted:
            key = await key_of(session, vault, participant)
            named = erasure_note_problem(
                body.note,
                cpr_digits=key.decrypt(participant.cpr_encrypted),
                name=key.decrypt(participant.name_encrypted),
            )
            if named:
                return refusal(named, 422)
        if await erase(session, participant, basis=body.reason, principal=principal, today=today_in_copenhagen()):
            participant.erasure_note = body.note
        assert participant.erased_on is not None and participant.erasure_basis is not None
        answer = ErasureOut(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            erased_on=participant.erased_on,
            basis=participant.erasure_basis,
            links=ErasureLinks(timeline=f"/participants/{participant.id}/timeline"),
        )
    return JSONResponse(answer.model_dump(mode="json"))
