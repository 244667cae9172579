"""A referral's rules, pure: a living citizen's birth date, the case reference, and the pseudonymous facts a referral
and its entry yield for the indicators.

Nothing here reads the clock: today is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from services.intake.cpr import Cpr
from services.intake.domain import LegalBasis
from shared import fund_rules
from shared.contracts import (
    Benefit,
    DisadvantagesAtEntry,
    EducationLevel,
    Gender,
    LabourMarketStatus,
    ParticipantEntered,
    ReferralRegistered,
)

OLDEST_YEARS = 110  # a birth date further back is a typing error, not a citizen


def birth_date_problem(born: date, *, today: date) -> str | None:
    """Why a CPR number's date of birth cannot be a living citizen's (in the future, or over 110 years ago)."""
    if born > today:
        return "the CPR number's date of birth is in the future"
    if fund_rules.age_on(born, today) >= OLDEST_YEARS:
        return f"the CPR number's date of birth is more than {OLDEST_YEARS} years ago"
    return None


@dataclass(frozen=True)
class Contact:
    """How to reach the citizen: personal data, kept encrypted in intake only."""

    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Referral:
    """What a caseworker states when referring a citizen, validated (the CPR number and name stay in intake)."""

    cpr: Cpr
    name: str
    programme_id: str
    subproject_id: str
    target_group: str
    labour_market_status: LabourMarketStatus
    education_level: EducationLevel
    benefit: Benefit
    gender: Gender | None
    disadvantages: DisadvantagesAtEntry
    referred_on: date | None
    months_unemployed: int | None = None
    legal_basis: LegalBasis = "consent"
    consent_text_version: str | None = None
    consent_given_on: date | None = None
    contact: Contact = field(default_factory=Contact)
    responsible_caseworker_email: str | None = None


# Where the case belongs now: what a referral after the first entry changes in the participant's record (as the
# reporting projection reads a re-referral). Every other characteristic is the entry's, and stays the first entry's.
CASE_PLACE = ("programme_id", "subproject_id", "municipality", "target_group", "gender")


def characteristics_on_referral(stated: dict[str, Any], *, at_entry: dict[str, Any] | None) -> dict[str, Any]:
    """The characteristics a participant's record keeps after a referral (DOMAIN.md: one record, entry data from the
    first entry): those the referral states, unless the participant has entered already (`at_entry`, the entry's),
    which keep all but where the case now belongs."""
    if at_entry is None:
        return stated
    return at_entry | {name: stated[name] for name in CASE_PLACE if name in stated}


def format_case_reference(number: int) -> str:
    """A human case reference, e.g. RUM-000042."""
    return f"RUM-{number:06d}"


def referral_registered(
    referral: Referral,
    *,
    participant_id: UUID,
    case_reference: str,
    municipality: str,
    caseworker_email: str,
    today: date,
) -> ReferralRegistered:
    """The pseudonymous fact of a referral: characteristics for the indicators, no personal data."""
    referred_on = referral.referred_on or today
    age = fund_rules.age_on(referral.cpr.birth_date, referred_on)
    band = fund_rules.age_band(age)
    months = referral.months_unemployed
    return ReferralRegistered(
        participant_id=participant_id,
        case_reference=case_reference,
        programme_id=referral.programme_id,
        subproject_id=referral.subproject_id,
        municipality=municipality,
        caseworker_email=referral.responsible_caseworker_email or caseworker_email,
        referred_on=referred_on,
        target_group=referral.target_group,
        gender=referral.gender or referral.cpr.sex,
        age_band=band,
        under_25=band == "under-25",
        over_54=band == "over-54",
        labour_market_status=referral.labour_market_status,
        months_unemployed=months,
        long_term_unemployed=fund_rules.long_term_unemployed(months, age) if months is not None else False,
        education_level=referral.education_level,
        benefit=referral.benefit,
        disadvantages=referral.disadvantages,
        age_band_esf_plus=fund_rules.age_band_esf_plus(age),
    )


def participant_entered(
    *,
    participant_id: UUID,
    programme_id: str,
    born: date,
    entered_on: date,
    referred_on: date,
    months_unemployed_at_referral: int | None,
) -> ParticipantEntered:
    """The characteristics the fund judges at entry: ages on the start date, unemployment lasting until then."""
    age = fund_rules.age_on(born, entered_on)
    band = fund_rules.age_band(age)
    months = (
        months_unemployed_at_referral + fund_rules.whole_months_between(referred_on, entered_on)
        if months_unemployed_at_referral is not None
        else None
    )
    return ParticipantEntered(
        participant_id=participant_id,
        programme_id=programme_id,
        entered_on=entered_on,
        age_band=band,
        age_band_esf_plus=fund_rules.age_band_esf_plus(age),
        under_25=band == "under-25",
        over_54=band == "over-54",
        long_term_unemployed=months is not None and fund_rules.long_term_unemployed(months, age),
    )
