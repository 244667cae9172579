"""The caseworker API for referrals and participants: register, read (audited), follow the timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import catalogue, idempotency
from services.intake.audit import audit
from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.domain import (
    ADDRESS_PATTERN,
    NAME_PATTERN,
    Contact,
    LegalBasis,
    Referral,
    birth_date_problem,
    consent_erasure_due_on,
    consent_withdrawal_problem,
    real_date_problem,
)
from services.intake.handlers import SOURCE, register_referral
from services.intake.idempotency import IdempotencyKey
from services.intake.keys import key_of
from services.intake.queries import find_participant, pending_commands, timeline_entries
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    Benefit,
    ConsentWithdrawn,
    DisadvantagesAtEntry,
    EducationLevel,
    Gender,
    LabourMarketStatus,
)
from shared.db import SessionMaker, unit_of_work
from shared.outbox import publish
from shared.problems import problem, problem_responses, refusal
from shared.rejection import Refused, Rejection
from shared.request_body import Body, IsoDate

router = APIRouter()
Caseworker = Annotated[Principal, Depends(require_role("caseworker", "team-lead"))]


def _happened(value: date) -> date:
    # The API reads the clock; the rule itself (domain.real_date_problem) is pure.
    reason = real_date_problem(value, today=today_in_copenhagen())
    if reason:
        raise ValueError(reason)
    return value


RealDate = Annotated[IsoDate, AfterValidator(_happened)]
"""A date something happened: not in the future (Copenhagen time), not before 2000."""


class Strict(Body):
    """An intake request body (strict: see shared.request_body)."""


class DisadvantagesIn(Strict, DisadvantagesAtEntry):
    """Each disadvantage characteristic as the citizen answered: yes, no, refused to say, or not asked (default)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)  # the event's model ignores extras; a body not


class ContactIn(Strict):
    """How to reach the citizen (personal data: stored encrypted, never leaves intake)."""

    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ]{6,18}[0-9]$")
    email: EmailStr | None = None
    address: str | None = Field(default=None, min_length=3, max_length=200, pattern=ADDRESS_PATTERN)


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


class ParticipantConsent(BaseModel):
    """The legal basis of a participant's data and their consent."""

    participant_id: UUID
    legal_basis: LegalBasis
    consent_given_on: date | None
    consent_withdrawn_on: date | None
    erasure_due_on: date | None = Field(
        description="when the personal data will be erased, consent (their only basis) having been withdrawn"
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


class TimelineEvent(BaseModel):
    """One fact on the participant's path."""

    id: UUID
    type: str
    time: datetime
    data: dict[str, Any]


class PendingCommandOut(BaseModel):
    """A command still waiting for the owning service's answer."""

    id: UUID
    type: str
    issued_at: datetime


class Timeline(BaseModel):
    """The participant's path: facts in the order they arrived, then the commands still pending."""

    participant_id: UUID
    case_reference: str
    events: list[TimelineEvent]
    pending_commands: list[PendingCommandOut]


def sessions_of(request: Request) -> SessionMaker:
    """The service's session maker."""
    return request.app.state.sessions  # type: ignore[no-any-return]


async def visible_participant(session: AsyncSession, participant_id: UUID, principal: Principal) -> Participant:
    """The participant, or 404: another municipality's participant is indistinguishable from a missing one."""
    participant = await find_participant(session, participant_id, principal=principal)
    if participant is None:
        raise HTTPException(404, "no such participant")
    return participant


@router.post(
    "/referrals",
    status_code=201,
    tags=["referrals"],
    response_model=ReferralCreated,
    responses=problem_responses(409),
)
async def post_referral(
    referral: ReferralIn, request: Request, principal: Caseworker, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Register a referral; the citizen's CPR number and name are stored encrypted and never leave intake."""
    vault: Vault = request.app.state.vault
    today = today_in_copenhagen()
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    # only a keyed request is compared with an earlier one (bench/intake.py: the dump is not free)
    asked = idempotency.fingerprint("POST", "/referrals", referral.model_dump(mode="json")) if idempotency_key else ""
    try:
        async with unit_of_work(sessions_of(request)) as session:
            first = await idempotency.earlier(session, principal, idempotency_key, asked)
            if first is not None and first.answer is not None:
                return _created(first.answer)  # the same referral again: the first answer, nothing new
            stated = referral.to_referral()
            problem = await catalogue.referral_problem(
                session, stated, municipality=principal.municipality, today=today, cache=request.app.state.reach
            )
            if problem:
                return refusal(problem, 422)
            outcome = await register_referral(session, vault=vault, referral=stated, principal=principal, today=today)
            if not isinstance(outcome, Rejection):
                created = ReferralCreated(
                    participant_id=outcome.id,
                    case_reference=outcome.case_reference,
                    programme_id=outcome.programme_id,
                    links=ReferralLinks(timeline=f"/participants/{outcome.id}/timeline"),
                ).model_dump(mode="json")
                await idempotency.remember(session, principal, idempotency_key, asked, answer=created)
    except Refused as refused:
        return refusal(refused.rejection, 422 if refused.rejection.field == "Idempotency-Key" else 409)
    if isinstance(outcome, Rejection):  # committed all the same: a look-up in another municipality is audited
        return refusal(outcome, 409)
    return _created(created)


def _created(created: dict[str, Any]) -> JSONResponse:
    return JSONResponse(created, status_code=201, headers={"Location": f"/participants/{created['participant_id']}"})


def erased_problem(participant: Participant) -> JSONResponse:
    """410 Gone: the participant's personal data were erased; the timeline still answers."""
    assert participant.erased_on is not None
    return problem(
        410,
        f"the participant's personal data were erased on {participant.erased_on.isoformat()}"
        f" (basis: {participant.erasure_basis}); the timeline still answers",
        type_="urn:rummelig:problem:erased",
        links={"timeline": f"/participants/{participant.id}/timeline"},
    )


def erased_rejection(participant: Participant) -> Rejection:
    """Nothing more is recorded about an erased participant (their path ends there; the facts so far stay)."""
    assert participant.erased_on is not None
    return Rejection(
        "erased",
        f"the participant's personal data were erased on {participant.erased_on.isoformat()}: nothing more"
        " is recorded about them",
    )


@router.get(
    "/participants/{participant_id}",
    tags=["participants"],
    response_model=ParticipantOut,
    responses=problem_responses(410),
)
async def get_participant(
    participant_id: UUID, request: Request, principal: Caseworker
) -> ParticipantOut | JSONResponse:
    """The participant with personal data; every read is written to the audit log. Once erased: 410 Gone."""
    vault: Vault = request.app.state.vault
    async with unit_of_work(sessions_of(request)) as session:
        participant = await visible_participant(session, participant_id, principal)
        if participant.cpr_encrypted is None or participant.name_encrypted is None:
            return erased_problem(participant)
        key = await key_of(session, vault, participant)
        await audit(session, principal=principal, participant_id=participant.id, action="read-personal-data")
        return ParticipantOut(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            cpr=key.decrypt(participant.cpr_encrypted),
            name=key.decrypt(participant.name_encrypted),
            contact=ContactIn.model_validate_json(key.decrypt(participant.contact_encrypted))
            if participant.contact_encrypted
            else ContactIn(),
            legal_basis=participant.legal_basis,
            consent_text_version=participant.consent_text_version,
            consent_given_on=participant.consent_given_on,
            consent_withdrawn_on=participant.consent_withdrawn_on,
            erasure_due_on=_erasure_due_on(request, participant),
            status=participant.status,
            referred_on=participant.referred_on,
            characteristics=participant.characteristics,
        )


@router.get("/participants/{participant_id}/timeline", tags=["participants"])
async def get_timeline(participant_id: UUID, request: Request, principal: Caseworker) -> Timeline:
    """The participant's path, built from the events, with the commands still pending."""
    async with unit_of_work(sessions_of(request)) as session:
        participant = await visible_participant(session, participant_id, principal)
        await audit(session, principal=principal, participant_id=participant.id, action="read-timeline")
        return Timeline(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            events=[
                TimelineEvent(id=e.event_id, type=e.event_type, time=e.occurred_at, data=e.data)
                for e in await timeline_entries(session, participant.id)
            ],
            pending_commands=[
                PendingCommandOut(id=c.id, type=c.command_type, issued_at=c.created_at)
                for c in await pending_commands(session, participant.id)
            ],
        )


class ConsentWithdrawalIn(Strict):
    """The citizen withdrew their consent."""

    withdrawn_on: RealDate


@router.post(
    "/participants/{participant_id}/consent-withdrawal",
    tags=["participants"],
    response_model=ParticipantConsent,
    responses=problem_responses(409),
)
async def withdraw_consent(
    participant_id: UUID, body: ConsentWithdrawalIn, request: Request, principal: Caseworker
) -> JSONResponse:
    """Record that the citizen withdrew the consent their data rest on; the other services are told by an event."""
    async with unit_of_work(sessions_of(request)) as session:
        participant = await visible_participant(session, participant_id, principal)
        if participant.erased_on is not None:
            return refusal(erased_rejection(participant), 409)
        refused = consent_withdrawal_problem(
            legal_basis=participant.legal_basis,
            given_on=participant.consent_given_on,
            already_withdrawn_on=participant.consent_withdrawn_on,
            withdrawn_on=body.withdrawn_on,
        )
        if refused:
            return refusal(refused, 409)
        participant.consent_withdrawn_on = body.withdrawn_on
        publish(session, ConsentWithdrawn(participant_id=participant.id, withdrawn_on=body.withdrawn_on), source=SOURCE)
        answer = ParticipantConsent(
            participant_id=participant.id,
            legal_basis=participant.legal_basis,
            consent_given_on=participant.consent_given_on,
            consent_withdrawn_on=participant.consent_withdrawn_on,
            erasure_due_on=_erasure_due_on(request, participant),
        )
    return JSONResponse(answer.model_dump(mode="json"))


def _erasure_due_on(request: Request, participant: Participant) -> date | None:
    return consent_erasure_due_on(
        legal_basis=participant.legal_basis,
        withdrawn_on=participant.consent_withdrawn_on,
        erased_on=participant.erased_on,
        days=request.app.state.consent_erasure_days,
    )
