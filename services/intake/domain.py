"""Intake's rules, pure: what a referral must contain and which characteristics it yields for the indicators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.intake.cpr import Cpr, InvalidCpr, age_on, parse_cpr
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    AgeBand,
    Benefit,
    Disadvantage,
    DropOutReason,
    EducationLevel,
    Gender,
    LabourMarketStatus,
    ReferralRegistered,
    Situation,
)

EARLIEST = date(2000, 1, 1)


def _real_date(value: date) -> date:
    if value > today_in_copenhagen():
        raise ValueError("the date is in the future")
    if value < EARLIEST:
        raise ValueError("the date is before 2000")
    return value


RealDate = Annotated[date, AfterValidator(_real_date)]
"""A date something happened: not in the future (Copenhagen time), not absurdly old."""

# Names: letters (any script), spaces, hyphens, apostrophes and dots; nothing that could carry markup or code.
NAME_PATTERN = r"^[^\W\d_](?:[^\W\d_]|[ .'\-])*$"


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReferralIn(Strict):
    """What a caseworker submits to refer a citizen."""

    cpr: str = Field(min_length=10, max_length=11, description="DDMMYY-SSSS, hyphen optional")
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    consent: bool = Field(description="the citizen consented to the processing of their data")
    programme_id: str = Field(pattern=CODE_PATTERN)
    subproject_id: str = Field(pattern=CODE_PATTERN)
    target_group: str = Field(pattern=CODE_PATTERN)
    labour_market_status: LabourMarketStatus
    education_level: EducationLevel
    benefit: Benefit
    gender: Gender | None = Field(default=None, description="defaults to the legal sex in the CPR number")
    disadvantages: list[Disadvantage] = Field(default_factory=list, max_length=3)
    disadvantages_refused: bool = False
    referred_on: RealDate | None = None

    @field_validator("cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        try:
            return parse_cpr(value).digits
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _consent_and_answers(self) -> ReferralIn:
        if not self.consent:
            raise ValueError("the citizen's consent is required before a referral can be registered")
        if self.disadvantages_refused and self.disadvantages:
            raise ValueError("disadvantages cannot be both refused and given")
        if len(set(self.disadvantages)) != len(self.disadvantages):
            raise ValueError("disadvantages are listed more than once")
        return self

    @property
    def parsed_cpr(self) -> Cpr:
        """The validated CPR number."""
        return parse_cpr(self.cpr)


def age_band(age: int) -> AgeBand:
    """The ESF age band at entry."""
    if age < 25:
        return "under-25"
    return "over-54" if age > 54 else "25-54"


def format_case_reference(number: int) -> str:
    """A human case reference, e.g. RUM-000042."""
    return f"RUM-{number:06d}"


def referral_registered(
    referral: ReferralIn,
    *,
    participant_id: UUID,
    case_reference: str,
    municipality: str,
    caseworker_email: str,
    today: date,
) -> ReferralRegistered:
    """The pseudonymous fact of a referral: characteristics for the indicators, no personal data."""
    cpr = referral.parsed_cpr
    referred_on = referral.referred_on or today
    band = age_band(age_on(cpr.birth_date, referred_on))
    return ReferralRegistered(
        participant_id=participant_id,
        case_reference=case_reference,
        programme_id=referral.programme_id,
        subproject_id=referral.subproject_id,
        municipality=municipality,
        caseworker_email=caseworker_email,
        referred_on=referred_on,
        target_group=referral.target_group,
        gender=referral.gender or cpr.sex,
        age_band=band,
        under_25=band == "under-25",
        over_54=band == "over-54",
        labour_market_status=referral.labour_market_status,
        education_level=referral.education_level,
        benefit=referral.benefit,
        disadvantages=referral.disadvantages,
        disadvantages_refused=referral.disadvantages_refused,
    )


class EnrolIn(Strict):
    """Enrol the participant on a course."""

    course_id: str = Field(pattern=CODE_PATTERN)


class StartIn(Strict):
    """The participant started."""

    started_on: RealDate


class CompletionIn(Strict):
    """The participant completed; this is the leaving date."""

    completed_on: RealDate


class DropOutIn(Strict):
    """The participant left early."""

    dropped_out_on: RealDate
    reason: DropOutReason


class OutcomeIn(Strict):
    """The participant's situation, upon leaving or six months after."""

    situation: Situation
    observed_on: RealDate


CommandStatus = Literal["pending", "accepted", "rejected"]
