"""Intake's facts about a referral (intake.referral.events): the referral, the entry and a withdrawn consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import REGISTRY, AboutParticipant, event
from shared.contracts.vocabulary import (
    CODE_PATTERN,
    AgeBand,
    AgeBandEsfPlus,
    Answer,
    Benefit,
    BenefitV2,
    Code,
    Disadvantage,
    EducationLevel,
    EducationLevelV2,
    Gender,
    LabourMarketStatus,
    LabourMarketStatusV2,
    WorkEmail,
)
from shared.topics import REFERRAL_EVENTS


class DisadvantagesAtEntry(BaseModel):
    """Each disadvantage characteristic as the citizen answered it: yes, no, refused to say, or not asked."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    disability: Answer = "not-asked"
    migrant_or_foreign_background: Answer = "not-asked"
    minority: Answer = "not-asked"
    homeless_or_housing_exclusion: Answer = "not-asked"
    other_disadvantage: Answer = "not-asked"
    # ESF+ (Regulation (EU) 2021/1057, Annex I, 1.2), asked as the disadvantages are; readers of a record from before
    # these were asked see "not-asked". EECO13 counts participants who are not citizens of the Union (SFC support
    # portal, "Definitions for EECO13 (Third-country nationals), EECO14 (Participants with a foreign background),
    # EECO15 (Minorities)", 13 April 2023).
    third_country_national: Answer = "not-asked"
    rural_area: Answer = "not-asked"


@event("referral.registered", 3, topics=REFERRAL_EVENTS)
class ReferralRegistered(AboutParticipant):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name, no contact details)."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    caseworker_email: WorkEmail = Field(description="the responsible caseworker's work email")
    referred_on: date
    target_group: Code = Field(pattern=CODE_PATTERN)
    gender: Gender
    # The age bands on the referral date (the fund judges age on the start date: see the intake issue).
    age_band: AgeBand
    under_25: bool
    over_54: bool
    age_band_esf_plus: AgeBandEsfPlus | None
    # v3: the status as stated, with the months of unemployment, and long-term derived from them (over 12 months,
    # over 6 for under-25s); the fund's benefits; education "unknown"; each disadvantage answered one by one.
    labour_market_status: LabourMarketStatus
    months_unemployed: int | None = Field(ge=0, le=600)
    long_term_unemployed: bool = Field(description="v2 records said it without the months")
    education_level: EducationLevel
    benefit: Benefit
    disadvantages: DisadvantagesAtEntry


class ReferralRegisteredV1(AboutParticipant):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name)."""

    case_reference: str = Field(pattern=r"^RUM-\d{6,}$")
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    caseworker_email: WorkEmail
    referred_on: date
    target_group: Code = Field(pattern=CODE_PATTERN)
    gender: Gender
    age_band: AgeBand
    under_25: bool
    over_54: bool
    labour_market_status: LabourMarketStatusV2
    education_level: EducationLevelV2
    benefit: BenefitV2
    disadvantages: list[Disadvantage] = Field(max_length=3)
    disadvantages_refused: bool


# referral.registered v1 as intake published it until v2 added the ESF+ age band; its schema file is unchanged.
def upcast_referral_registered_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: only "over-54" tells the ESF+ band (55 and over); the other v1 bands straddle two ESF+ bands."""
    return {**data, "age_band_esf_plus": "55-and-over" if data.get("age_band") == "over-54" else None}


REGISTRY.old_version("referral.registered", 1, ReferralRegisteredV1, upcast_referral_registered_v1)


class ReferralRegisteredV2(ReferralRegisteredV1):
    """A caseworker referred a citizen to a programme (pseudonymous: no CPR, no name)."""

    # v2: the ESF+ band (2021-27 output indicators); None where a v1 record did not allow telling it.
    age_band_esf_plus: AgeBandEsfPlus | None


V2_DISADVANTAGE_TO_V3 = {
    "disability": "disability",
    "migrant-or-minority": "migrant_or_foreign_background",  # v2 did not tell a migrant from a minority
    "other-disadvantage": "other_disadvantage",
}


def upcast_referral_registered_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 to v3: long-term unemployment becomes a flag beside the status; the list of disadvantages one answer each.

    v2 knew only "given" or "all refused": a characteristic it did not list was answered no (or refused), except a
    minority, which v2 folded into migrant-or-minority and so never asked apart.
    """
    status = data.get("labour_market_status")
    listed = {V2_DISADVANTAGE_TO_V3[d] for d in data.get("disadvantages", []) if d in V2_DISADVANTAGE_TO_V3}
    refused = bool(data.get("disadvantages_refused"))
    answers = {
        name: "refused" if refused else ("yes" if name in listed else "no") for name in V2_DISADVANTAGE_TO_V3.values()
    }
    for never_asked in ("minority", "homeless_or_housing_exclusion"):  # v2 had no question of its own for these
        answers[never_asked] = "refused" if refused else "not-asked"
    rest = {k: v for k, v in data.items() if k not in ("disadvantages", "disadvantages_refused")}
    return {
        **rest,
        "labour_market_status": "unemployed" if status == "long-term-unemployed" else status,
        "months_unemployed": None,
        "long_term_unemployed": status == "long-term-unemployed",
        "disadvantages": answers,
    }


REGISTRY.old_version("referral.registered", 2, ReferralRegisteredV2, upcast_referral_registered_v2)


@event("participant.entered", 1, topics=REFERRAL_EVENTS)
class ParticipantEntered(AboutParticipant):
    """The participant's characteristics at entry, judged on the first start date (the fund's entry), not on the
    referral date; published again if that start date is corrected. A re-entry keeps the first entry's."""

    programme_id: Code = Field(pattern=CODE_PATTERN)
    entered_on: date
    age_band: AgeBand
    age_band_esf_plus: AgeBandEsfPlus
    under_25: bool
    over_54: bool
    long_term_unemployed: bool = Field(description="months unemployed at referral plus the months until entry")


@event("consent.withdrawn", 1, topics=REFERRAL_EVENTS)
class ConsentWithdrawn(AboutParticipant):
    """The citizen withdrew the consent their data were processed on (the personal-data issue erases them later)."""

    withdrawn_on: date
