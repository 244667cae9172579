"""The participant's personal data, for the caseworker, the administrator and the data protection officer: consent
withdrawn, erasure (GDPR art. 17), and the access request (art. 15) as JSON or as a page to print or send (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.intake.audit.service import audit
from services.intake.deps import (
    Administrator,
    Caseworker,
    DataProtection,
    Sessions,
    TheVault,
    erased_rejection,
    visible_participant,
)
from services.intake.personal_data.domain import erasure_note_problem
from services.intake.personal_data.keys import key_of
from services.intake.personal_data.queries import AccessDocument, access_document
from services.intake.personal_data.schemas import (
    ConsentWithdrawalIn,
    ErasureIn,
    ErasureLinks,
    ErasureOut,
    ParticipantConsent,
)
from services.intake.personal_data.service import erase, erasure_due_on, record_consent_withdrawal
from services.intake.tables import Participant
from shared.clock import COPENHAGEN, today_in_copenhagen
from shared.db import unit_of_work
from shared.problems import problem_responses, refusal
from shared.rejection import Refused
from shared.templates import templates_in

router = APIRouter()
ACCESS_REQUEST = "access-request"
_TEMPLATES = Path(__file__).parents[1] / "templates"


@router.post(
    "/participants/{participant_id}/consent-withdrawal",
    tags=["participants"],
    response_model=ParticipantConsent,
    responses=problem_responses(409),
)
async def withdraw_consent(
    participant_id: UUID, body: ConsentWithdrawalIn, request: Request, sessions: Sessions, principal: Caseworker
) -> JSONResponse:
    """Record that the citizen withdrew the consent their data rest on; the other services are told by an event."""
    async with unit_of_work(sessions) as session:
        participant = await visible_participant(session, participant_id, principal)
        if participant.erased_on is not None:
            return refusal(erased_rejection(participant), 409)
        try:
            record_consent_withdrawal(session, participant, withdrawn_on=body.withdrawn_on)
        except Refused as refused:
            return refusal(refused.rejection, 409)
        answer = ParticipantConsent(
            participant_id=participant.id,
            legal_basis=participant.legal_basis,
            consent_given_on=participant.consent_given_on,
            consent_withdrawn_on=participant.consent_withdrawn_on,
            erasure_due_on=erasure_due_on(participant, days=request.app.state.consent_erasure_days),
        )
    return JSONResponse(answer.model_dump(mode="json"))


@router.post("/participants/{participant_id}/erasure", tags=["participants"], response_model=ErasureOut)
async def erase_participant(
    participant_id: UUID, body: ErasureIn, sessions: Sessions, vault: TheVault, principal: Administrator
) -> JSONResponse:
    """Destroy the participant's personal data for good and tell the other services; erasing again changes nothing
    and answers the same."""
    async with unit_of_work(sessions) as session:
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


@router.get(
    "/participants/{participant_id}/access-request",
    tags=["audit"],
    response_model=AccessDocument,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def access_request(
    participant_id: UUID,
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    principal: DataProtection,
    format: Annotated[  # noqa: A002 - the query parameter's name
        Literal["json", "html"] | None, Query(description="html for a page; by default as the Accept header asks")
    ] = None,
) -> Response:
    """Everything intake holds on the participant: personal data, referral, legal basis, facts, reminders,
    commands, and who read the data; this read is audited too."""
    shape = format or ("html" if "text/html" in request.headers.get("accept", "") else "json")
    async with unit_of_work(sessions) as session:
        participant = await session.get(Participant, participant_id)
        if participant is None:
            raise HTTPException(404, "no such participant")
        await audit(session, principal=principal, participant_id=participant.id, action=ACCESS_REQUEST, detail=shape)
        document = await access_document(
            session, participant, vault=vault, produced_at=datetime.now(UTC), produced_by=principal.subject
        )
    if shape == "html":
        page = templates_in(_TEMPLATES).get_template("access_request.html").render(doc=document, local=_local)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
    return JSONResponse(document.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def _local(moment: datetime) -> str:
    """A moment as a Dane reads it: Copenhagen time, to the minute."""
    return moment.astimezone(COPENHAGEN).strftime("%d.%m.%Y %H:%M")
