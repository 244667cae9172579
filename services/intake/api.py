"""The caseworker API: referrals, commands to enrolment and follow-up, the participant and their timeline."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.domain import (
    CompletionIn,
    DropOutIn,
    EnrolIn,
    OutcomeIn,
    ReferralIn,
    StartIn,
)
from services.intake.handlers import (
    AlreadyReferred,
    audit,
    find_participant,
    issue_command,
    register_referral,
    timeline,
)
from services.intake.tables import Participant, PendingCommand
from services.intake.vault import Vault
from shared import contracts
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.db import SessionMaker, unit_of_work
from shared.problems import problem

router = APIRouter()
Caseworker = Annotated[Principal, Depends(require_role("caseworker"))]
POLL_SECONDS = 0.05
PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])")


def _sessions(request: Request) -> SessionMaker:
    return request.app.state.sessions  # type: ignore[no-any-return]


@router.post("/referrals", status_code=201, tags=["referrals"])
async def post_referral(referral: ReferralIn, request: Request, principal: Caseworker) -> JSONResponse:
    """Register a referral; the citizen's CPR number and name are stored encrypted and never leave intake."""
    vault: Vault = request.app.state.vault
    try:
        async with unit_of_work(_sessions(request)) as session:
            participant = await register_referral(
                session, vault=vault, referral=referral, principal=principal, today=today_in_copenhagen()
            )
    except AlreadyReferred as exc:
        known = f" ({exc.case_reference})" if exc.case_reference else ""
        return problem(
            409,
            f"the citizen already has an active referral to this programme{known}",
            type_="urn:rummelig:problem:already-referred",
        )
    return JSONResponse(
        {
            "participant_id": str(participant.id),
            "case_reference": participant.case_reference,
            "programme_id": participant.programme_id,
            "links": {"timeline": f"/participants/{participant.id}/timeline"},
        },
        status_code=201,
        headers={"Location": f"/participants/{participant.id}"},
    )


@router.get("/participants/{participant_id}", tags=["participants"])
async def get_participant(participant_id: UUID, request: Request, principal: Caseworker) -> dict[str, Any]:
    """The participant with personal data; every read is written to the audit log."""
    vault: Vault = request.app.state.vault
    async with unit_of_work(_sessions(request)) as session:
        participant = await _visible(session, participant_id, principal)
        audit(session, principal=principal, participant_id=participant.id, action="read-personal-data")
        return {
            "participant_id": str(participant.id),
            "case_reference": participant.case_reference,
            "cpr": vault.decrypt(participant.id, participant.cpr_encrypted),
            "name": vault.decrypt(participant.id, participant.name_encrypted),
            "status": participant.status,
            "referred_on": participant.referred_on.isoformat(),
            "characteristics": participant.characteristics,
        }


@router.get("/participants/{participant_id}/timeline", tags=["participants"])
async def get_timeline(participant_id: UUID, request: Request, principal: Caseworker) -> dict[str, Any]:
    """The participant's path, built from the events, with the commands still pending."""
    async with unit_of_work(_sessions(request)) as session:
        participant = await _visible(session, participant_id, principal)
        audit(session, principal=principal, participant_id=participant.id, action="read-timeline")
        body = await timeline(session, participant.id)
        body["case_reference"] = participant.case_reference
        return body


@router.get("/commands/{command_id}", tags=["commands"])
async def get_command(command_id: UUID, request: Request, principal: Caseworker) -> JSONResponse:
    """What became of a command: pending, accepted (with the fact) or rejected (with the reason)."""
    async with unit_of_work(_sessions(request)) as session:
        command = await session.get(PendingCommand, command_id)
        if command is None:
            raise HTTPException(404, "no such command")
        await _visible(session, command.participant_id, principal)
        return JSONResponse(_command_body(command))


def _command_endpoint(path: str, body_model: type[BaseModel], build: Callable[[Participant, Any], BaseModel]) -> None:
    async def endpoint(participant_id: UUID, body: Any, request: Request, principal: Caseworker) -> JSONResponse:
        async with unit_of_work(_sessions(request)) as session:
            participant = await _visible(session, participant_id, principal)
            event = await issue_command(
                session, participant=participant, command=build(participant, body), principal=principal
            )
        answered = await _wait_for_answer(request, event.id)
        return _command_response(answered)

    endpoint.__annotations__["body"] = body_model
    endpoint.__doc__ = f"Send {body_model.__doc__ or path} to the owning service and wait briefly for its answer."
    router.add_api_route(
        f"/participants/{{participant_id}}/{path}",
        endpoint,
        methods=["POST"],
        tags=["commands"],
        responses={200: {}, 202: {}, 409: {}},
    )


_command_endpoint(
    "enrolment",
    EnrolIn,
    lambda p, b: contracts.EnrolParticipant(participant_id=p.id, programme_id=p.programme_id, course_id=b.course_id),
)
_command_endpoint("start", StartIn, lambda p, b: contracts.RecordStart(participant_id=p.id, started_on=b.started_on))
_command_endpoint(
    "completion",
    CompletionIn,
    lambda p, b: contracts.RecordCompletion(participant_id=p.id, completed_on=b.completed_on),
)
_command_endpoint(
    "drop-out",
    DropOutIn,
    lambda p, b: contracts.RecordDropOut(participant_id=p.id, dropped_out_on=b.dropped_out_on, reason=b.reason),
)
_command_endpoint(
    "leaving-outcome",
    OutcomeIn,
    lambda p, b: contracts.RecordLeavingOutcome(participant_id=p.id, situation=b.situation, observed_on=b.observed_on),
)
_command_endpoint(
    "six-month-result",
    OutcomeIn,
    lambda p, b: contracts.RecordSixMonthResult(participant_id=p.id, situation=b.situation, observed_on=b.observed_on),
)


async def _visible(session: Any, participant_id: UUID, principal: Principal) -> Participant:
    participant = await find_participant(session, participant_id, principal=principal)
    if participant is None:  # another municipality's participant is indistinguishable from a missing one
        raise HTTPException(404, "no such participant")
    return participant


def _wait_seconds(request: Request) -> float:
    """The configured bound, or less if the client asks with `Prefer: wait=N` (RFC 7240); never more."""
    limit: float = request.app.state.command_wait_seconds
    match = PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(limit, float(match.group(1))) if match else limit


async def _wait_for_answer(request: Request, command_id: UUID) -> PendingCommand:
    deadline = time.monotonic() + _wait_seconds(request)
    while True:
        async with _sessions(request)() as session:
            command = await session.get(PendingCommand, command_id)
        assert command is not None
        if command.status != "pending" or time.monotonic() >= deadline:
            return command
        await asyncio.sleep(POLL_SECONDS)


def _command_body(command: PendingCommand) -> dict[str, Any]:
    body: dict[str, Any] = {
        "command_id": str(command.id),
        "command_type": command.command_type,
        "status": command.status,
        "links": {"self": f"/commands/{command.id}"},
    }
    if command.status == "accepted":
        body["fact"] = {"type": command.answer_type, "data": command.answer}
    if command.status == "rejected":
        answer = command.answer or {}
        body["rejection"] = {"reason": answer.get("reason"), "detail": answer.get("detail")}
    return body


def _command_response(command: PendingCommand) -> JSONResponse:
    """The answer to a POSTed command: 200 with the fact, 409 problem with the reason, or 202 while pending."""
    body = _command_body(command)
    if command.status == "pending":
        return JSONResponse(body, status_code=202, headers={"Location": f"/commands/{command.id}"})
    if command.status == "rejected":
        answer = command.answer or {}
        return problem(
            409,
            str(answer.get("detail", "the command was rejected")),
            type_=f"urn:rummelig:problem:{answer.get('reason', 'rejected')}",
            command_id=body["command_id"],
            command_type=body["command_type"],
            command_status="rejected",
            links=body["links"],
        )
    return JSONResponse(body, status_code=200)
