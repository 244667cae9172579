"""The caseload's requests and answers: a search by CPR number, a page of cases, a course's participants."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.domain import Status
from shared.request_body import Body


def _cpr_number(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_cpr(value).digits
    except InvalidCpr as exc:
        raise ValueError(str(exc)) from exc


class CprSearchIn(Body):
    """A search by exact CPR number: in the body, so the number never stands in a URL, a proxy's log or a history."""

    # [0-9] rather than \d: to a JSON Schema validator \d is ASCII, to Python's and pydantic's regexes any digits.
    cpr: Annotated[
        str,
        Field(pattern=r"^[0-9]{6}-?[0-9]{4}$", description="DDMMYY-SSSS, the hyphen optional"),
        AfterValidator(_cpr_number),
    ]


class CaseloadItem(BaseModel):
    """One participant in the caseload: ids, codes and dates only."""

    participant_id: UUID
    case_reference: str
    programme_id: str
    subproject_id: str
    course_id: str | None = Field(description="the course of the latest enrolment or participation fact")
    status: Status
    referred_on: date
    caseworker_email: str
    next_due_on: date | None = Field(description="the due date of the earliest follow-up check not yet recorded")
    overdue: bool = Field(description="a follow-up check not yet recorded was due before today")
    erased_on: date | None = Field(default=None, description="when the participant's personal data were erased")
    erasure_due_on: date | None = Field(
        default=None, description="when the personal data will be erased, consent (their only basis) withdrawn"
    )


class CaseloadPage(BaseModel):
    """One page of the caseload and how many participants match in all."""

    items: list[CaseloadItem]
    page: int
    page_size: int
    total: int


class CourseParticipant(BaseModel):
    """A participant as the course's provider sees them."""

    participant_id: UUID
    case_reference: str
    first_name: str | None = Field(description="none once the participant's personal data were erased")
    status: str
