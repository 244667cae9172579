"""Who is responsible for a case (intake.referral.events): a team lead moved it to another caseworker.

On the referral's topic, under the participant's key, so that a case's referral and its moves are read in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import AboutParticipant, event
from shared.contracts.vocabulary import WorkEmail
from shared.topics import REFERRAL_EVENTS

# Why a team lead moves cases: a code, never free text (a note could name the citizen).
ReassignmentReason = Literal[
    "caseworker-left",
    "leave-of-absence",
    "workload",
    "specialisation",
    "conflict-of-interest",
    "citizen-request",
    "other",
]


@event("case.reassigned", 1, topics=REFERRAL_EVENTS)
class CaseReassigned(AboutParticipant):
    """A team lead moved a case to another caseworker of its municipality: reminders go to the new one from now."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    reassignment_id: UUID = Field(description="the team lead's request: the cases moved together share it")
    previous_caseworker_email: WorkEmail = Field(description="the work email of the caseworker the case left")
    caseworker_email: WorkEmail = Field(description="the newly responsible caseworker's work email")
    reason: ReassignmentReason
    reassigned_at: datetime = Field(description="when intake moved the case: of two moves of a case the later wins")
