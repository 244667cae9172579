"""The commands' requests and answers: one body per command, the version it was sent from (If-Match), and what
became of a command (200, 202 or 409)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.commands.domain import IF_MATCH_PATTERN, Change, conflict_detail, result_notice
from services.intake.domain import CommandStatus
from services.intake.schemas import RealDate, Strict
from services.intake.tables import PendingCommand
from services.intake.timeline.domain import CaseVersion
from shared.contracts import (
    CODE_PATTERN,
    CorrectionReason,
    DropOutReason,
    Improvement,
    Situation,
    SixMonthSituation,
    WithdrawalReason,
)
from shared.problems import problem

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description="the version of the case the command was decided on (the ETag of GET /participants/{id} or its"
        " timeline): if the case changed since, the command is refused (409 case-changed) and nothing is applied",
    ),
]


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
    improvement: Improvement | None = Field(
        default=None,
        description="only for a participant employed at entry; other than none only with a situation that is"
        " employment (else 409 improvement-without-employment)",
    )
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


def command_answer(command: PendingCommand) -> CommandAnswer:
    """The command as the caseworker sees it."""
    answer = command.answer or {}
    return CommandAnswer(
        command_id=command.id,
        command_type=command.command_type,
        status=command.status,
        links=CommandLinks(self=f"/commands/{command.id}"),
        fact=Fact(type=command.answer_type or "", data=answer) if command.status == CommandStatus.ACCEPTED else None,
        notice=result_notice(command.answer_type, answer) if command.status == CommandStatus.ACCEPTED else None,
        rejection=(
            RejectionOut(reason=answer.get("reason"), detail=answer.get("detail"))
            if command.status == CommandStatus.REJECTED
            else None
        ),
    )


def command_response(command: PendingCommand) -> JSONResponse:
    """The answer to a POSTed command: 200 with the fact, 409 problem with the reason, or 202 while pending."""
    answer = command_answer(command)
    body = answer.model_dump(mode="json", exclude_none=True)
    if command.status == CommandStatus.PENDING:
        return JSONResponse(body, status_code=202, headers={"Location": answer.links.self})
    if command.status == CommandStatus.REJECTED:
        reason = (command.answer or {}).get("reason", "rejected")
        return problem(
            409,
            str((command.answer or {}).get("detail", "the command was rejected")),
            type_=f"urn:rummelig:problem:{reason}",
            command_id=body["command_id"],
            command_type=body["command_type"],
            command_status=CommandStatus.REJECTED,
            links=body["links"],
        )
    return JSONResponse(body, status_code=200)


def conflict_response(asked: tuple[CaseVersion, ...], current: CaseVersion, changes: list[Change]) -> JSONResponse:
    """409 case-changed: the command was sent from an out-of-date view; what changed since, when, and by whom."""
    response = problem(
        409,
        conflict_detail(asked, changes),
        type_="urn:rummelig:problem:case-changed",
        version=str(current),
        changes=[
            {
                "kind": change.kind,
                "status": change.status,
                "at": change.at.isoformat(),
                "by": {"name": change.by.name, "role": change.by.role} if change.by else None,
            }
            for change in changes
        ],
    )
    response.headers["ETag"] = current.etag
    return response
