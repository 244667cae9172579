"""The caseworker API for referrals and participants: register a referral, read a participant (audited)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.intake import idempotency
from services.intake.audit.service import audit
from services.intake.deps import Caseworker, Sessions, TheVault, erased_problem, visible_participant
from services.intake.idempotency import IdempotencyKey
from services.intake.personal_data.keys import key_of
from services.intake.personal_data.service import erasure_due_on
from services.intake.referrals.schemas import ParticipantOut, ReferralCreated, ReferralIn
from services.intake.referrals.service import refer
from services.intake.schemas import ContactIn
from services.intake.timeline.queries import case_version
from services.intake.timeline.schemas import VERSIONED
from shared.clock import today_in_copenhagen
from shared.db import unit_of_work
from shared.problems import problem_responses, refusal
from shared.rejection import Refused, Rejection

router = APIRouter()


@router.post(
    "/referrals",
    status_code=201,
    tags=["referrals"],
    response_model=ReferralCreated,
    responses=problem_responses(409),
)
async def post_referral(
    referral: ReferralIn,
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a referral; the citizen's CPR number and name are stored encrypted and never leave intake."""
    # only a keyed request is compared with an earlier one (bench/intake.py: the dump is not free)
    asked = idempotency.fingerprint("POST", "/referrals", referral.model_dump(mode="json")) if idempotency_key else ""
    try:
        async with unit_of_work(sessions) as session:
            answer = await refer(
                session,
                vault=vault,
                reach=request.app.state.reach,
                referral=referral.to_referral(),
                principal=principal,
                today=today_in_copenhagen(),
                key=idempotency_key,
                asked=asked,
            )
    except Refused as refused:  # nothing kept
        answer = refused.rejection
    if isinstance(answer, Rejection):  # a field of the request is wrong (422), or the state conflicts (409)
        return refusal(answer, 422 if answer.field else 409)
    return _created(answer)


def _created(created: dict[str, Any]) -> JSONResponse:
    return JSONResponse(created, status_code=201, headers={"Location": f"/participants/{created['participant_id']}"})


@router.get(
    "/participants/{participant_id}",
    tags=["participants"],
    response_model=ParticipantOut,
    responses={**VERSIONED, **problem_responses(410)},
)
async def get_participant(
    participant_id: UUID,
    request: Request,
    response: Response,
    sessions: Sessions,
    vault: TheVault,
    principal: Caseworker,
) -> ParticipantOut | JSONResponse:
    """The participant with personal data; every read is written to the audit log. Once erased: 410 Gone.

    The version of the case (also the ETag) is what a command's If-Match names to be refused if the case changed."""
    async with unit_of_work(sessions) as session:
        participant = await visible_participant(session, participant_id, principal)
        if participant.cpr_encrypted is None or participant.name_encrypted is None:
            return erased_problem(participant)
        version = await case_version(session, participant.id)
        response.headers["ETag"] = version.etag
        key = await key_of(session, vault, participant)
        await audit(session, principal=principal, participant_id=participant.id, action="read-personal-data")
        return ParticipantOut(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            cpr=key.decrypt(participant.cpr_encrypted),
            name=key.decrypt(participant.name_encrypted),
            contact=ContactIn.model_validate_json(key.decrypt(participant.contact_encrypted))
            if participant.contact_encrypted
            else ContactIn(),
            legal_basis=participant.legal_basis,
            consent_text_version=participant.consent_text_version,
            consent_given_on=participant.consent_given_on,
            consent_withdrawn_on=participant.consent_withdrawn_on,
            erasure_due_on=erasure_due_on(participant, days=request.app.state.consent_erasure_days),
            status=participant.status,
            referred_on=participant.referred_on,
            characteristics=participant.characteristics,
            version=str(version),
        )
