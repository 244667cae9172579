"""Request and response models more than one of intake's sub-domains uses: strict bodies, real dates, contact
details, a fact on the timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, EmailStr, Field

from services.intake.domain import ADDRESS_PATTERN, real_date_problem
from shared.clock import today_in_copenhagen
from shared.request_body import Body, IsoDate


def _happened(value: date) -> date:
    # The API reads the clock; the rule itself (domain.real_date_problem) is pure.
    reason = real_date_problem(value, today=today_in_copenhagen())
    if reason:
        raise ValueError(reason)
    return value


RealDate = Annotated[IsoDate, AfterValidator(_happened)]
"""A date something happened: not in the future (Copenhagen time), not before 2000."""


class Strict(Body):
    """An intake request body (strict: see shared.request_body)."""


class ContactIn(Strict):
    """How to reach the citizen (personal data: stored encrypted, never leaves intake)."""

    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ]{6,18}[0-9]$")
    email: EmailStr | None = None
    address: str | None = Field(default=None, min_length=3, max_length=200, pattern=ADDRESS_PATTERN)


class TimelineEvent(BaseModel):
    """One fact on the participant's path."""

    id: UUID
    type: str
    time: datetime
    data: dict[str, Any]
