"""The caseworker API for commands to enrolment and follow-up: send, wait a bounded time, answer or poll.

A command answered in time gets 200 with the fact or 409 with the reason; otherwise 202 with the command id to poll
at GET /commands/{id}. With If-Match, one sent from an out-of-date view of the case is refused (409 case-changed).
Every command route is written out below; each says its path, and commands/service.py which command its body makes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.commands.domain import versions_asked, wait_seconds
from services.intake.commands.schemas import (
    CommandAnswer,
    CompletionIn,
    DropOutIn,
    DropOutReasonCorrectionIn,
    EnrolIn,
    IfMatch,
    LeavingDateCorrectionIn,
    LeavingOutcomeIn,
    SixMonthResultIn,
    StartCorrectionIn,
    StartIn,
    WithdrawalIn,
    command_answer,
    command_response,
    conflict_response,
)
from services.intake.commands.service import CaseChanged, CaseErased, send_command, wait_for_answer
from services.intake.deps import Caseworker, CourseRecorder, Sessions, visible_participant
from services.intake.idempotency import IdempotencyKey
from services.intake.tables import PendingCommand
from shared.auth import Principal
from shared.clock import today_in_copenhagen
from shared.db import unit_of_work
from shared.problems import problem_responses, refusal
from shared.rejection import Refused

router = APIRouter(tags=["commands"])
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Accepted: the fact that records it."},
    202: {"description": "Not answered yet: poll the Location.", "model": CommandAnswer},
    **problem_responses(409),
}


@router.get("/commands/{command_id}", response_model_exclude_none=True)
async def get_command(command_id: UUID, sessions: Sessions, principal: CourseRecorder) -> CommandAnswer:
    """What became of a command: pending, accepted (with the fact) or rejected (with the reason)."""
    async with unit_of_work(sessions) as session:
        command = await session.get(PendingCommand, command_id)
        if command is None:
            raise HTTPException(404, "no such command")
        await visible_participant(session, command.participant_id, principal)
        return command_answer(command)


@router.post(
    "/participants/{participant_id}/enrolment",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def enrol(
    participant_id: UUID,
    body: EnrolIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Enrol the participant on a course: sent to enrolment, which gives a seat or a place on the waiting list."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "enrolment",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/start",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_start(
    participant_id: UUID,
    body: StartIn,
    request: Request,
    sessions: Sessions,
    principal: CourseRecorder,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record that the participant started the course."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "start",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/completion",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_completion(
    participant_id: UUID,
    body: CompletionIn,
    request: Request,
    sessions: Sessions,
    principal: CourseRecorder,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record that the participant completed the course (the leaving date)."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "completion",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/drop-out",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_drop_out(
    participant_id: UUID,
    body: DropOutIn,
    request: Request,
    sessions: Sessions,
    principal: CourseRecorder,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record that the participant left the course early, and why (only after a start: before it, a withdrawal)."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "drop-out",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/withdrawal",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_withdrawal(
    participant_id: UUID,
    body: WithdrawalIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record that the participant withdrew before starting (nothing will be followed up)."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "withdrawal",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/corrections/start",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def correct_start(
    participant_id: UUID,
    body: StartCorrectionIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Correct a start date that was entered wrong."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "corrections/start",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/corrections/leaving-date",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def correct_leaving_date(
    participant_id: UUID,
    body: LeavingDateCorrectionIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Correct a leaving date (completion or drop-out) that was entered wrong."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "corrections/leaving-date",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/corrections/drop-out-reason",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def correct_drop_out_reason(
    participant_id: UUID,
    body: DropOutReasonCorrectionIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Correct a drop-out reason that was entered wrong."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "corrections/drop-out-reason",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/leaving-outcome",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_leaving_outcome(
    participant_id: UUID,
    body: LeavingOutcomeIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record the participant's situation upon leaving (the last observation within four weeks counts)."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "leaving-outcome",
        body,
        idempotency_key,
        if_match,
    )


@router.post(
    "/participants/{participant_id}/six-month-result",
    response_model=CommandAnswer,
    response_model_exclude_none=True,
    responses=ANSWERS,
)
async def record_six_month_result(
    participant_id: UUID,
    body: SixMonthResultIn,
    request: Request,
    sessions: Sessions,
    principal: Caseworker,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record the participant's situation six months after leaving."""
    return await _send(
        request,
        sessions,
        principal,
        participant_id,
        "six-month-result",
        body,
        idempotency_key,
        if_match,
    )


async def _send(
    request: Request,
    sessions: Sessions,
    principal: Principal,
    participant_id: UUID,
    path: str,
    body: BaseModel,
    idempotency_key: str | None,
    if_match: str | None,
) -> JSONResponse:
    """Issue the command the body makes (once per Idempotency-Key, and only if the case is still at the version
    If-Match names), then answer with what became of it in time."""
    versions = versions_asked(if_match)  # the header's pattern let only versions through
    try:
        async with unit_of_work(sessions) as session:
            command_id = await send_command(
                session,
                principal=principal,
                participant_id=participant_id,
                path=path,
                body=body,
                idempotency_key=idempotency_key,
                asked=versions,
                today=today_in_copenhagen(),
            )
    except CaseErased as erased:
        return refusal(erased.rejection, 409)
    except Refused as refused:  # refused by intake itself, from what it knows of the participant
        return refusal(refused.rejection)
    except CaseChanged as changed:  # rolled back: no command, no outbox row, no remembered key
        return conflict_response(changed.asked, changed.current, changed.changes)
    limit: float = request.app.state.command_wait_seconds
    seconds = wait_seconds(request.headers.get("prefer", ""), limit=limit)
    return command_response(await wait_for_answer(sessions, command_id, seconds=seconds))
