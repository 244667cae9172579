"""The caseworker API for commands to enrolment and follow-up: send, wait a bounded time, answer or poll.

A command answered in time gets 200 with the fact or 409 with the reason; otherwise 202 with the command id to poll
at GET /commands/{id}.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake import idempotency
from services.intake.api import RealDate, Strict, erased_rejection, sessions_of, visible_participant
from services.intake.domain import enrolment_date_problem
from services.intake.handlers import issue_command
from services.intake.idempotency import IdempotencyKey
from services.intake.tables import Participant, PendingCommand
from shared import contracts
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    CorrectionReason,
    DropOutReason,
    Improvement,
    Situation,
    SixMonthSituation,
    WithdrawalReason,
)
from shared.db import unit_of_work
from shared.problems import problem, problem_responses, refusal
from shared.rejection import Refused

router = APIRouter()
Caseworker = Annotated[Principal, Depends(require_role("caseworker", "team-lead"))]
# Provider staff running a course record its participants' start, completion and drop-out.
CourseRecorder = Annotated[Principal, Depends(require_role("caseworker", "team-lead", "provider-staff"))]
POLL_SECONDS = 0.05
PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])")


class EnrolIn(Strict):
    """Enrol the participant on a course."""

    course_id: str = Field(pattern=CODE_PATTERN)
    enrolled_on: RealDate | None = Field(default=None, description="the enrolment date; today if not given")


class StartIn(Strict):
    """The participant started."""

    started_on: RealDate


class CompletionIn(Strict):
    """The participant completed; this is the leaving date."""

    completed_on: RealDate


class DropOutIn(Strict):
    """The participant left early."""

    dropped_out_on: RealDate
    reason: DropOutReason


class WithdrawalIn(Strict):
    """The participant withdrew before starting (not a leaving: nothing will be followed up)."""

    withdrawn_on: RealDate
    reason: WithdrawalReason


class StartCorrectionIn(Strict):
    """Correct a start date that was entered wrong."""

    started_on: RealDate
    correction_reason: CorrectionReason


class LeavingDateCorrectionIn(Strict):
    """Correct a leaving date (completion or drop-out) that was entered wrong."""

    left_on: RealDate
    correction_reason: CorrectionReason


class DropOutReasonCorrectionIn(Strict):
    """Correct a drop-out reason that was entered wrong."""

    drop_out_reason: DropOutReason
    correction_reason: CorrectionReason


class LeavingOutcomeIn(Strict):
    """The participant's situation upon leaving (the last observation within four weeks counts)."""

    situation: Situation
    qualification_gained: bool | None = Field(default=None, description="a qualification gained (CR03); null: unknown")
    observed_on: RealDate


class SixMonthResultIn(Strict):
    """The participant's situation six months after leaving; for one employed at entry, how it improved (CR07)."""

    situation: SixMonthSituation
    improvement: Improvement | None = Field(default=None, description="only for a participant employed at entry")
    observed_on: RealDate


class Fact(BaseModel):
    """The fact that accepted a command."""

    type: str
    data: dict[str, Any]


class RejectionOut(BaseModel):
    """Why the owning service refused a command."""

    reason: str | None
    detail: str | None


class CommandLinks(BaseModel):
    """Where to poll the command."""

    self: str


class CommandAnswer(BaseModel):
    """What became of a command: pending, accepted with the fact, or rejected with the reason."""

    command_id: UUID
    command_type: str
    status: Literal["pending", "accepted", "rejected"]
    links: CommandLinks
    fact: Fact | None = None
    notice: str | None = Field(default=None, description="what the caseworker should know about an accepted result")
    rejection: RejectionOut | None = None


RESULT_FACTS = {"leaving-outcome.recorded": "upon leaving", "six-month-result.recorded": "as the six-month result"}


def result_notice(fact_type: str | None, data: dict[str, Any]) -> str | None:
    """Tell the caseworker when a recorded result will not count, and why."""
    counted_as = RESULT_FACTS.get(fact_type or "")
    if counted_as is None or data.get("counts", True):
        return None
    if data.get("late"):
        return f"Recorded late: observed after the last day that counts, so it will not count {counted_as}."
    return f"Recorded: a later observation inside the period already counts {counted_as}; this one is kept as history."


def command_answer(command: PendingCommand) -> CommandAnswer:
    """The command as the caseworker sees it."""
    answer = command.answer or {}
    return CommandAnswer(
        command_id=command.id,
        command_type=command.command_type,
        status=command.status,
        links=CommandLinks(self=f"/commands/{command.id}"),
        fact=Fact(type=command.answer_type or "", data=answer) if command.status == "accepted" else None,
        notice=result_notice(command.answer_type, answer) if command.status == "accepted" else None,
        rejection=(
            RejectionOut(reason=answer.get("reason"), detail=answer.get("detail"))
            if command.status == "rejected"
            else None
        ),
    )


@router.get("/commands/{command_id}", tags=["commands"], response_model_exclude_none=True)
async def get_command(command_id: UUID, request: Request, principal: CourseRecorder) -> CommandAnswer:
    """What became of a command: pending, accepted (with the fact) or rejected (with the reason)."""
    async with unit_of_work(sessions_of(request)) as session:
        command = await session.get(PendingCommand, command_id)
        if command is None:
            raise HTTPException(404, "no such command")
        await visible_participant(session, command.participant_id, principal)
        return command_answer(command)


def _command_endpoint(
    path: str,
    body_model: type[BaseModel],
    build: Callable[[Participant, Any], contracts.AboutParticipant],
    *,
    by_provider: bool = False,
) -> None:
    async def endpoint(
        participant_id: UUID, body: Any, request: Request, principal: Any, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        asked = idempotency.fingerprint("POST", f"/participants/{participant_id}/{path}", body.model_dump(mode="json"))
        try:
            async with unit_of_work(sessions_of(request)) as session:
                participant = await visible_participant(session, participant_id, principal)
                if participant.erased_on is not None:
                    return refusal(erased_rejection(participant), 409)
                first = await idempotency.earlier(session, principal, idempotency_key, asked)
                if first is not None and first.command_id is not None:
                    command_id = first.command_id  # the same command again: its answer, not a second command
                else:
                    command_id = (
                        await issue_command(session, command=build(participant, body), principal=principal)
                    ).id
                    await idempotency.remember(session, principal, idempotency_key, asked, command_id=command_id)
        except Refused as refused:  # refused by intake itself, from what it knows of the participant
            return refusal(refused.rejection)
        return _command_response(await _wait_for_answer(request, command_id))

    endpoint.__annotations__["body"] = body_model
    endpoint.__annotations__["principal"] = CourseRecorder if by_provider else Caseworker
    endpoint.__doc__ = f"Send {body_model.__doc__ or path} to the owning service and wait briefly for its answer."
    router.add_api_route(
        f"/participants/{{participant_id}}/{path}",
        endpoint,
        methods=["POST"],
        tags=["commands"],
        response_model=CommandAnswer,
        response_model_exclude_none=True,
        responses={
            200: {"description": "Accepted: the fact that records it."},
            202: {"description": "Not answered yet: poll the Location.", "model": CommandAnswer},
            **problem_responses(409),
        },
    )


def _enrolment(participant: Participant, body: EnrolIn) -> contracts.EnrolParticipant:
    enrolled_on = body.enrolled_on or today_in_copenhagen()
    problem_ = enrolment_date_problem(enrolled_on, referred_on=participant.referred_on)
    if problem_:
        raise Refused(problem_)
    return contracts.EnrolParticipant(
        participant_id=participant.id,
        programme_id=participant.programme_id,
        course_id=body.course_id,
        enrolled_on=enrolled_on,
    )


_command_endpoint("enrolment", EnrolIn, _enrolment)
_command_endpoint(
    "start",
    StartIn,
    lambda p, b: contracts.RecordStart(participant_id=p.id, started_on=b.started_on),
    by_provider=True,
)
_command_endpoint(
    "completion",
    CompletionIn,
    lambda p, b: contracts.RecordCompletion(participant_id=p.id, completed_on=b.completed_on),
    by_provider=True,
)
_command_endpoint(
    "drop-out",
    DropOutIn,
    lambda p, b: contracts.RecordDropOut(participant_id=p.id, dropped_out_on=b.dropped_out_on, reason=b.reason),
    by_provider=True,
)
_command_endpoint(
    "withdrawal",
    WithdrawalIn,
    lambda p, b: contracts.RecordWithdrawal(participant_id=p.id, withdrawn_on=b.withdrawn_on, reason=b.reason),
)
_command_endpoint(
    "corrections/start",
    StartCorrectionIn,
    lambda p, b: contracts.CorrectStart(
        participant_id=p.id, started_on=b.started_on, correction_reason=b.correction_reason
    ),
)
_command_endpoint(
    "corrections/leaving-date",
    LeavingDateCorrectionIn,
    lambda p, b: contracts.CorrectLeavingDate(
        participant_id=p.id, left_on=b.left_on, correction_reason=b.correction_reason
    ),
)
_command_endpoint(
    "corrections/drop-out-reason",
    DropOutReasonCorrectionIn,
    lambda p, b: contracts.CorrectDropOutReason(
        participant_id=p.id, drop_out_reason=b.drop_out_reason, correction_reason=b.correction_reason
    ),
)
_command_endpoint(
    "leaving-outcome",
    LeavingOutcomeIn,
    lambda p, b: contracts.RecordLeavingOutcome(
        participant_id=p.id,
        situation=b.situation,
        qualification_gained=b.qualification_gained,
        observed_on=b.observed_on,
    ),
)
_command_endpoint(
    "six-month-result",
    SixMonthResultIn,
    lambda p, b: contracts.RecordSixMonthResult(
        participant_id=p.id, situation=b.situation, improvement=b.improvement, observed_on=b.observed_on
    ),
)


def _wait_seconds(request: Request) -> float:
    """The configured bound, or less if the client asks with `Prefer: wait=N` (RFC 7240); never more."""
    limit: float = request.app.state.command_wait_seconds
    match = PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(limit, float(match.group(1))) if match else limit


async def _wait_for_answer(request: Request, command_id: UUID) -> PendingCommand:
    deadline = time.monotonic() + _wait_seconds(request)
    while True:
        async with sessions_of(request)() as session:
            command = await session.get(PendingCommand, command_id)
        assert command is not None
        if command.status != "pending" or time.monotonic() >= deadline:
            return command
        await asyncio.sleep(POLL_SECONDS)


def _command_response(command: PendingCommand) -> JSONResponse:
    """The answer to a POSTed command: 200 with the fact, 409 problem with the reason, or 202 while pending."""
    answer = command_answer(command)
    body = answer.model_dump(mode="json", exclude_none=True)
    if command.status == "pending":
        return JSONResponse(body, status_code=202, headers={"Location": answer.links.self})
    if command.status == "rejected":
        reason = (command.answer or {}).get("reason", "rejected")
        return problem(
            409,
            str((command.answer or {}).get("detail", "the command was rejected")),
            type_=f"urn:rummelig:problem:{reason}",
            command_id=body["command_id"],
            command_type=body["command_type"],
            command_status="rejected",
            links=body["links"],
        )
    return JSONResponse(body, status_code=200)
