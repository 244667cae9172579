"""Personal data's requests and answers: a withdrawal of consent, an erasure."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from services.intake.domain import LegalBasis
from services.intake.schemas import RealDate, Strict
from shared.contracts import ErasureBasis

NOTE_PATTERN = r"^[^<>{}\x00-\x1f\x7f]+$"  # free text without markup or control characters


class ParticipantConsent(BaseModel):
    """The legal basis of a participant's data and their consent."""

    participant_id: UUID
    legal_basis: LegalBasis
    consent_given_on: date | None
    consent_withdrawn_on: date | None
    erasure_due_on: date | None = Field(
        description="when the personal data will be erased, consent (their only basis) having been withdrawn"
    )


class ConsentWithdrawalIn(Strict):
    """The citizen withdrew their consent."""

    withdrawn_on: RealDate


class ErasureIn(Strict):
    """Why the personal data are erased."""

    reason: ErasureBasis = Field(
        description="request: the citizen asked (art. 17); consent-withdrawn: consent, the only basis, was withdrawn;"
        " retention: the retention period is over"
    )
    note: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=NOTE_PATTERN,
        description="the administrator's note, kept with the erasure; it must not name the citizen",
    )


class ErasureLinks(BaseModel):
    """What still answers."""

    timeline: str


class ErasureOut(BaseModel):
    """The participant's personal data are erased: when, on which basis; the pseudonymous facts stay."""

    participant_id: UUID
    case_reference: str
    erased_on: date
    basis: ErasureBasis
    links: ErasureLinks
