"""The referral's request and answers: what a caseworker submits, the case it creates, the participant as read."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.domain import NAME_PATTERN, LegalBasis
from services.intake.referrals.domain import Contact, Referral, birth_date_problem
from services.intake.schemas import ContactIn, RealDate, Strict
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    Benefit,
    DisadvantagesAtEntry,
    EducationLevel,
    Gender,
    LabourMarketStatus,
)


class DisadvantagesIn(Strict, DisadvantagesAtEntry):
    """Each disadvantage characteristic as the citizen answered: yes, no, refused to say, or not asked (default)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)  # the event's model ignores extras; a body not


class ReferralIn(Strict):
    """What a caseworker submits to refer a citizen."""

    cpr: str = Field(min_length=10, max_length=11, description="DDMMYY-SSSS, hyphen optional")
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    contact: ContactIn = Field(default_factory=ContactIn)
    legal_basis: LegalBasis = Field(default="consent", description="consent, or a public authority's task")
    consent: bool | None = Field(default=None, description="for the consent basis: the citizen consented (true)")
    consent_text_version: str | None = Field(
        default=None, pattern=CODE_PATTERN, description="for the consent basis: the version of the text shown"
    )
    consent_given_on: RealDate | None = Field(
        default=None, description="for the consent basis; the referral date if not given"
    )
    programme_id: str = Field(pattern=CODE_PATTERN)
    subproject_id: str = Field(pattern=CODE_PATTERN)
    target_group: str = Field(pattern=CODE_PATTERN)
    labour_market_status: LabourMarketStatus
    months_unemployed: int | None = Field(
        default=None, ge=0, le=600, description="for the unemployed: how long (long-term is derived from it)"
    )
    education_level: EducationLevel
    benefit: Benefit
    gender: Gender | None = Field(default=None, description="defaults to the legal sex in the CPR number")
    disadvantages: DisadvantagesIn = Field(default_factory=DisadvantagesIn)
    referred_on: RealDate | None = None
    responsible_caseworker_email: EmailStr | None = Field(
        default=None, description="the caseworker responsible for the case; the one registering it if not given"
    )

    @field_validator("cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        try:
            cpr = parse_cpr(value)
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc
        reason = birth_date_problem(cpr.birth_date, today=today_in_copenhagen())
        if reason:
            raise ValueError(reason)
        return cpr.digits

    @model_validator(mode="after")
    def _legal_basis_and_status(self) -> ReferralIn:
        if self.legal_basis == "consent":
            if self.consent is not True:
                raise ValueError("on the consent basis the citizen's consent is required before a referral")
            if self.consent_text_version is None:
                raise ValueError("on the consent basis the version of the consent text shown is required")
        elif self.consent is not None or self.consent_text_version is not None or self.consent_given_on is not None:
            raise ValueError("consent is given only on the consent basis")
        if (self.labour_market_status == "unemployed") != (self.months_unemployed is not None):
            raise ValueError("months_unemployed is given for the unemployed, and only for them")
        return self

    def to_referral(self) -> Referral:
        """The domain's view of the request."""
        return Referral(
            cpr=parse_cpr(self.cpr),
            name=self.name,
            programme_id=self.programme_id,
            subproject_id=self.subproject_id,
            target_group=self.target_group,
            labour_market_status=self.labour_market_status,
            months_unemployed=self.months_unemployed,
            education_level=self.education_level,
            benefit=self.benefit,
            gender=self.gender,
            disadvantages=DisadvantagesAtEntry(**self.disadvantages.model_dump()),
            referred_on=self.referred_on,
            legal_basis=self.legal_basis,
            consent_text_version=self.consent_text_version,
            consent_given_on=self.consent_given_on,
            contact=Contact(**self.contact.model_dump()),
            responsible_caseworker_email=self.responsible_caseworker_email,
        )


class ReferralLinks(BaseModel):
    """Where to go next."""

    timeline: str


class ReferralCreated(BaseModel):
    """The registered referral: the participant's pseudonymous id and the case reference to quote."""

    participant_id: UUID
    case_reference: str
    programme_id: str
    links: ReferralLinks


class ParticipantOut(BaseModel):
    """A participant with their personal data (each read is audited)."""

    participant_id: UUID
    case_reference: str
    cpr: str
    name: str
    contact: ContactIn
    legal_basis: LegalBasis
    consent_text_version: str | None
    consent_given_on: date | None
    consent_withdrawn_on: date | None
    erasure_due_on: date | None = Field(
        description="when the personal data will be erased, consent (their only basis) having been withdrawn"
    )
    status: str
    referred_on: date
    characteristics: dict[str, Any] = Field(description="the characteristics at entry that the indicators use")
    version: str = Field(
        description="the version of the case (also the ETag): a command's If-Match with it is refused if the case"
        " changed since"
    )
