"""Intake's rules every sub-domain shares, pure: which dates are real, what a name may hold, where a case stands.

Nothing here reads the clock: today is passed in.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from shared import contracts
from shared.contracts import REGISTRY
from shared.registry import Contract

EARLIEST = date(2000, 1, 1)
# Names: letters (any script), spaces, hyphens, apostrophes and dots; nothing that could carry markup or code.
NAME_PATTERN = r"^[^\W\d_](?:[^\W\d_]|[ .'\-])*$"
# An address: letters, digits, spaces and the punctuation of Danish addresses ("Vestergade 12, 2. th., 8000 Aarhus C").
ADDRESS_PATTERN = r"^[^\W_][\w .,'/\-]*$"
LegalBasis = Literal["consent", "public-task"]
Status = Literal["referred", "waiting", "enrolled", "started", "completed", "dropped-out", "withdrawn"]


class ParticipantStatus(StrEnum):
    """Where a participant's record stands: stored as these values in participant.status, a CHECK keeping them."""

    ACTIVE = "active"
    ERASED = "erased"  # the personal data destroyed; erased_on and erasure_basis say when and why


class ErasureGround(StrEnum):
    """Why a participant's personal data were erased (shared.contracts.ErasureBasis): participant.erasure_basis."""

    REQUEST = "request"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    RETENTION = "retention"


class CommandStatus(StrEnum):
    """Where a command sent to another service stands: pending_command.status, a CHECK keeping it to these."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


def real_date_problem(day: date, *, today: date) -> str | None:
    """Why a date cannot be when something happened (in the future, or before 2000), or None if it can."""
    if day > today:
        return "the date is in the future"
    if day < EARLIEST:
        return "the date is before 2000"
    return None


def wire_name(model: type[Contract]) -> str:
    """The type a contract travels as: intake's queries match the timeline's facts by it, never by a literal."""
    return REGISTRY.wire(model).name


# The facts that set the participation status (corrections do not); the latest one wins.
STATUS_OF_FACT: dict[str, Status] = {
    wire_name(contracts.EnrolmentConfirmed): "enrolled",
    wire_name(contracts.EnrolmentWaitlisted): "waiting",
    wire_name(contracts.ParticipationStarted): "started",
    wire_name(contracts.ParticipationCompleted): "completed",
    wire_name(contracts.ParticipationDroppedOut): "dropped-out",
    wire_name(contracts.ParticipationWithdrawn): "withdrawn",
}
# The facts that place a participant on a course; the latest one says where they are.
PLACING_FACTS = tuple(STATUS_OF_FACT)
LEAVING_FACTS = (wire_name(contracts.ParticipationCompleted), wire_name(contracts.ParticipationDroppedOut))
WITHDRAWN = wire_name(contracts.ParticipationWithdrawn)
ENROLMENT_CONFIRMED = wire_name(contracts.EnrolmentConfirmed)
CHECK_SCHEDULED = wire_name(contracts.CheckScheduled)
CHECK_CLOSED = wire_name(contracts.CheckClosed)
LEAVING_OUTCOME_RECORDED = wire_name(contracts.LeavingOutcomeRecorded)
SIX_MONTH_RESULT_RECORDED = wire_name(contracts.SixMonthResultRecorded)

# The steps a caseworker may take on a case, as a page's forms and the API's routes name them.
Step = Literal[
    "enrolment",
    "withdrawal",
    "start",
    "completion",
    "drop-out",
    "leaving-outcome",
    "six-month-result",
    "correct-start",
    "correct-leaving-date",
    "correct-drop-out-reason",
    "consent-withdrawal",
]
# What enrolment and follow-up accept from each status (enrolment.domain, followup.domain: another is refused there).
_STEPS_OF_STATUS: dict[Status, tuple[Step, ...]] = {
    "referred": ("enrolment",),
    "waiting": ("withdrawal",),
    "enrolled": ("start", "withdrawal"),
    "started": ("completion", "drop-out", "correct-start"),
    "completed": ("leaving-outcome", "six-month-result", "correct-start", "correct-leaving-date", "enrolment"),
    "dropped-out": (
        "leaving-outcome",
        "six-month-result",
        "correct-start",
        "correct-leaving-date",
        "correct-drop-out-reason",
        "enrolment",
    ),
    "withdrawn": ("enrolment",),
}


def steps_allowed(status: Status, *, erased: bool, legal_basis: str, consent_withdrawn: bool) -> tuple[Step, ...]:
    """The steps the case allows now: what its status lets the owning services accept, and a consent to withdraw."""
    if erased:
        return ()  # nothing more is recorded about an erased participant
    consent = ("consent-withdrawal",) if legal_basis == "consent" and not consent_withdrawn else ()
    return (*_STEPS_OF_STATUS[status], *consent)


def status_of(fact_types: list[str]) -> Status:
    """Where a case stands: the status its latest placing fact sets, or referred before any."""
    for fact_type in reversed(fact_types):
        if fact_type in STATUS_OF_FACT:
            return STATUS_OF_FACT[fact_type]
    return "referred"
