"""Intake's rules, pure: which dates are real, and the pseudonymous fact a referral yields for the indicators.

Nothing here reads the clock: today is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from services.intake.cpr import Cpr
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
from shared.rejection import Rejection

EARLIEST = date(2000, 1, 1)
OLDEST_YEARS = 110  # a birth date further back is a typing error, not a citizen
# Names: letters (any script), spaces, hyphens, apostrophes and dots; nothing that could carry markup or code.
NAME_PATTERN = r"^[^\W\d_](?:[^\W\d_]|[ .'\-])*$"
# An address: letters, digits, spaces and the punctuation of Danish addresses ("Vestergade 12, 2. th., 8000 Aarhus C").
ADDRESS_PATTERN = r"^[^\W_][\w .,'/\-]*$"
LegalBasis = Literal["consent", "public-task"]
WORD = r"[^\W\d_]+"  # a run of letters, in any script


def real_date_problem(day: date, *, today: date) -> str | None:
    """Why a date cannot be when something happened (in the future, or before 2000), or None if it can."""
    if day > today:
        return "the date is in the future"
    if day < EARLIEST:
        return "the date is before 2000"
    return None


def enrolment_date_problem(enrolled_on: date, *, referred_on: date) -> Rejection | None:
    """A participant cannot be enrolled before they were referred."""
    if enrolled_on < referred_on:
        return Rejection(
            "enrolled-before-referral",
            f"the enrolment date is before the referral date ({referred_on.isoformat()})",
            "enrolled_on",
        )
    return None


def consent_withdrawal_problem(
    *, legal_basis: str, given_on: date | None, already_withdrawn_on: date | None, withdrawn_on: date
) -> Rejection | None:
    """Consent can be withdrawn once, when it is what the data rest on, and not before it was given."""
    if legal_basis != "consent":
        return Rejection("not-on-consent", "the data rest on a public authority's task, not on consent")
    if already_withdrawn_on is not None:
        return Rejection("already-withdrawn", f"consent was withdrawn on {already_withdrawn_on.isoformat()}")
    if given_on is not None and withdrawn_on < given_on:
        return Rejection("before-consent", "the withdrawal is dated before the consent was given", "withdrawn_on")
    return None


def birth_date_problem(born: date, *, today: date) -> str | None:
    """Why a CPR number's date of birth cannot be a living citizen's (in the future, or over 110 years ago)."""
    if born > today:
        return "the CPR number's date of birth is in the future"
    if fund_rules.age_on(born, today) >= OLDEST_YEARS:
        return f"the CPR number's date of birth is more than {OLDEST_YEARS} years ago"
    return None


@dataclass(frozen=True)
class Span:
    """A period of days, both ends included."""

    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class SubprojectReach:
    """A sub-project as the catalogue publishes it: its programme, period, municipalities and target groups."""

    programme_id: str
    period: Span
    municipalities: tuple[str, ...]
    target_groups: tuple[str, ...]


def catalogue_problem(
    *,
    programme_id: str,
    subproject_id: str,
    target_group: str,
    municipality: str,
    referred_on: date,
    programme: Span | None,
    subproject: SubprojectReach | None,
) -> Rejection | None:
    """A referral must name a programme running on its date and a sub-project active then that serves the citizen."""
    if programme is None:
        return Rejection(
            "unknown-programme", f"there is no programme {programme_id!r} in the catalogue", "programme_id"
        )
    if referred_on not in programme:
        return Rejection(
            "outside-programme-period",
            f"the programme runs from {programme.starts_on.isoformat()} to {programme.ends_on.isoformat()}",
            "referred_on",
        )
    if subproject is None or subproject.programme_id != programme_id:
        return Rejection("unknown-sub-project", f"the programme has no sub-project {subproject_id!r}", "subproject_id")
    if referred_on not in subproject.period:
        return Rejection(
            "sub-project-not-active",
            f"the sub-project runs from {subproject.period.starts_on.isoformat()}"
            f" to {subproject.period.ends_on.isoformat()}",
            "subproject_id",
        )
    if target_group not in subproject.target_groups:
        return Rejection(
            "target-group-not-served",
            f"the sub-project serves {', '.join(subproject.target_groups)}, not {target_group}",
            "target_group",
        )
    if municipality not in subproject.municipalities:
        return Rejection(
            "municipality-not-served",
            f"the sub-project does not serve municipality {municipality} (yours)",
            "subproject_id",
        )
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


def consent_erasure_due_on(
    *, legal_basis: str, withdrawn_on: date | None, erased_on: date | None, days: int
) -> date | None:
    """When the personal data will be erased because the consent they rest on was withdrawn; None if they will not."""
    if legal_basis != "consent" or withdrawn_on is None or erased_on is not None:
        return None
    return withdrawn_on + timedelta(days=days)


def erasure_note_problem(note: str, *, cpr_digits: str, name: str) -> Rejection | None:
    """An erasure's note is kept: it must not name the citizen whose data it erases (their CPR number or a name)."""
    words = {word.casefold() for word in re.findall(WORD, note)}
    digits = "".join(c for c in note if c.isdigit())
    named = any(len(part) >= 3 and part.casefold() in words for part in re.findall(WORD, name))
    if cpr_digits in digits or named:
        return Rejection(
            "note-names-the-citizen", "the note must not name the citizen or give their CPR number", "note"
        )
    return None
