"""The reassignment's request and answer: to whom, why, which cases; a result per case."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field, model_validator

from services.intake.reassignment.domain import Caseworker, Outcome, Reassignment
from services.intake.schemas import Strict
from shared.contracts import ReassignmentReason

# A token subject, as the caseload's caseworker filter takes it.
SUBJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}$"
MAX_CASES = 1000  # a whole caseload is moved by naming its caseworker; a list is for picking cases
ParticipantId = Annotated[UUID, Field(strict=False)]  # a JSON string; strict bodies would take only a UUID object


class CaseworkerIn(Strict):
    """The caseworker who takes the cases: their token subject and their work email (where reminders will go)."""

    subject: str = Field(pattern=SUBJECT_PATTERN, max_length=200)
    email: EmailStr = Field(max_length=320)


class ReassignmentIn(Strict):
    """Move cases of the team lead's municipality to another of its caseworkers: the cases named, or every case of
    one caseworker (from_caseworker, their token subject); with a reason."""

    to: CaseworkerIn
    reason: ReassignmentReason
    participant_ids: list[ParticipantId] | None = Field(default=None, min_length=1, max_length=MAX_CASES)
    from_caseworker: str | None = Field(default=None, pattern=SUBJECT_PATTERN, max_length=200)

    @model_validator(mode="after")
    def _one_selection(self) -> Self:
        if (self.participant_ids is None) == (self.from_caseworker is None):
            raise ValueError("name the cases (participant_ids) or the caseworker whose cases move (from_caseworker)")
        if self.participant_ids is not None and len(set(self.participant_ids)) != len(self.participant_ids):
            raise ValueError("a case is named twice in participant_ids")
        if self.from_caseworker == self.to.subject:
            raise ValueError("the cases would move to the caseworker who has them")
        return self

    def to_reassignment(self) -> Reassignment:
        """The request as the use case takes it."""
        return Reassignment(
            to=Caseworker(self.to.subject, str(self.to.email)),
            reason=self.reason,
            participant_ids=tuple(self.participant_ids) if self.participant_ids is not None else None,
            from_caseworker=self.from_caseworker,
        )


class CaseworkerOut(BaseModel):
    """A caseworker: token subject and work email."""

    subject: str
    email: str


class CaseResult(BaseModel):
    """What became of one case: moved, already the caseworker's, not found (or not of your municipality: told the
    same), or erased (its personal data gone: nobody to remind)."""

    participant_id: UUID
    case_reference: str | None = Field(description="null where the case was not found")
    result: Outcome


class ReassignmentOut(BaseModel):
    """The move: its id (on each case.reassigned and audit entry), to whom, why, how many moved, each case's result."""

    reassignment_id: UUID
    to: CaseworkerOut
    reason: ReassignmentReason
    moved: int
    results: list[CaseResult]
