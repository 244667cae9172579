"""The caseworker API for referrals and participants: register, read (audited), follow the timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import catalogue
from services.intake.audit import audit
from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.domain import NAME_PATTERN, Referral, birth_date_problem, real_date_problem
from services.intake.handlers import register_referral
from services.intake.queries import find_participant, pending_commands, timeline_entries
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    Benefit,
    Disadvantage,
    EducationLevel,
    Gender,
    LabourMarketStatus,
)
from shared.db import SessionMaker, unit_of_work
from shared.problems import problem_responses, refusal
from shared.rejection import Refused
from shared.request_body import Body, IsoDate

router = APIRouter()
Caseworker = Annotated[Principal, Depends(require_role("caseworker"))]


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
            cpr = parse_cpr(value)
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc
        reason = birth_date_problem(cpr.birth_date, today=today_in_copenhagen())
        if reason:
            raise ValueError(reason)
        return cpr.digits

    @model_validator(mode="after")
    def _consent_and_answers(self) -> ReferralIn:
        if not self.consent:
            raise ValueError("the citizen's consent is required before a referral can be registered")
        if self.disadvantages_refused and self.disadvantages:
            raise ValueError("disadvantages cannot be both refused and given")
        if len(set(self.disadvantages)) != len(self.disadvantages):
            raise ValueError("disadvantages are listed more than once")
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
            education_level=self.education_level,
            benefit=self.benefit,
            gender=self.gender,
            disadvantages=tuple(self.disadvantages),
            disadvantages_refused=self.disadvantages_refused,
            referred_on=self.referred_on,
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
async def post_referral(referral: ReferralIn, request: Request, principal: Caseworker) -> JSONResponse:
    """Register a referral; the citizen's CPR number and name are stored encrypted and never leave intake."""
    vault: Vault = request.app.state.vault
    today = today_in_copenhagen()
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    try:
        async with unit_of_work(sessions_of(request)) as session:
            problem = await catalogue.referral_problem(
                session, referral.to_referral(), municipality=principal.municipality, today=today
            )
            if problem:
                return refusal(problem, 422)
            participant = await register_referral(
                session, vault=vault, referral=referral.to_referral(), principal=principal, today=today
            )
    except Refused as refused:
        return refusal(refused.rejection, 409)
    created = ReferralCreated(
        participant_id=participant.id,
        case_reference=participant.case_reference,
        programme_id=participant.programme_id,
        links=ReferralLinks(timeline=f"/participants/{participant.id}/timeline"),
    )
    return JSONResponse(
        created.model_dump(mode="json"), status_code=201, headers={"Location": f"/participants/{participant.id}"}
    )


@router.get("/participants/{participant_id}", tags=["participants"])
async def get_participant(participant_id: UUID, request: Request, principal: Caseworker) -> ParticipantOut:
    """The participant with personal data; every read is written to the audit log."""
    vault: Vault = request.app.state.vault
    async with unit_of_work(sessions_of(request)) as session:
        participant = await visible_participant(session, participant_id, principal)
        audit(session, principal=principal, participant_id=participant.id, action="read-personal-data")
        return ParticipantOut(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            cpr=vault.decrypt(participant.id, participant.cpr_encrypted),
            name=vault.decrypt(participant.id, participant.name_encrypted),
            status=participant.status,
            referred_on=participant.referred_on,
            characteristics=participant.characteristics,
        )


@router.get("/participants/{participant_id}/timeline", tags=["participants"])
async def get_timeline(participant_id: UUID, request: Request, principal: Caseworker) -> Timeline:
    """The participant's path, built from the events, with the commands still pending."""
    async with unit_of_work(sessions_of(request)) as session:
        participant = await visible_participant(session, participant_id, principal)
        audit(session, principal=principal, participant_id=participant.id, action="read-timeline")
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
