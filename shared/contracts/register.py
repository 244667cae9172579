"""What a register showed about a participant (intake.referral.events): intake matches the extract by the keyed CPR
hash and publishes only its finding, never the number."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.contracts.base import AboutParticipant, event
from shared.contracts.vocabulary import RegisterFinding, SixMonthSituation
from shared.topics import REFERRAL_EVENTS


@event("six-month-result.register-observed", 1, topics=REFERRAL_EVENTS)
class SixMonthResultRegisterObserved(AboutParticipant):
    """A register's finding for a six-month check that had fallen due: the weeks read and the situation found."""

    from_register: Literal["dream"] = Field(description="the register read: DREAM, the Ministry of Employment's")
    exit_number: int = Field(ge=1, description="the exit whose six-month check this observes")
    left_on: date
    due_on: date = Field(description="the six-month date")
    weeks_from: date = Field(description="the Monday of the first ISO week read")
    weeks_to: date = Field(description="the Sunday of the last ISO week read, the one holding the six-month date")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="the month whose employment degree was read")
    extract_until: date = Field(description="the Sunday of the extract's last week: how far the register reached")
    finding: RegisterFinding
    situation: SixMonthSituation | None = Field(
        description="what the finding counts as among the fund's six-month situations; None when the register cannot"
        " tell (no benefit and no employment recorded, or no longer in the register)"
    )
