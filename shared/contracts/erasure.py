"""The erasure of a participant's personal data (intake.referral.events): what every service must forget."""

from __future__ import annotations

from datetime import date
from typing import Literal

from shared.contracts.base import AboutParticipant, event
from shared.topics import REFERRAL_EVENTS

ErasureBasis = Literal["request", "consent-withdrawn", "retention"]


@event("participant.erased", 1, topics=REFERRAL_EVENTS)
class ParticipantErased(AboutParticipant):
    """The participant's personal data were destroyed (GDPR art. 17): other services drop what could lead back to the
    person; the pseudonymous facts stay for the fund's statistics."""

    erased_on: date
    basis: ErasureBasis
