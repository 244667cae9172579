"""The caseworker's caseload: their municipality's participants, filtered, sorted and paged, without personal data.

The list names no CPR number, name or contact: one participant's personal data stays behind the audited
GET /participants/{id}. Listing is therefore not audited, except a search by CPR number, which is (found or not).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from services.intake.api import sessions_of
from services.intake.audit import NO_PARTICIPANT, Read, append
from services.intake.caseload import CaseloadFilter, Due, Paging, Sort, Status, find_caseload
from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import CODE_PATTERN
from shared.db import unit_of_work
from shared.request_body import Body

router = APIRouter(tags=["participants"])
Caseworker = Annotated[Principal, Depends(require_role("caseworker", "team-lead"))]
MAX_PAGE = 100_000  # far beyond any municipality's caseload; keeps the offset a number PostgreSQL can hold
SEARCHED_BY_CPR = "search-by-cpr"


def _cpr_number(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_cpr(value).digits
    except InvalidCpr as exc:
        raise ValueError(str(exc)) from exc


class CprSearchIn(Body):
    """A search by exact CPR number: in the body, so the number never stands in a URL, a proxy's log or a history."""

    # [0-9] rather than \d: to a JSON Schema validator \d is ASCII, to Python's and pydantic's regexes any digits.
    cpr: Annotated[
        str,
        Field(pattern=r"^[0-9]{6}-?[0-9]{4}$", description="DDMMYY-SSSS, the hyphen optional"),
        AfterValidator(_cpr_number),
    ]


CaseReferenceQuery = Annotated[str | None, Query(pattern=r"^RUM-[0-9]{6,}$", max_length=20)]
CodeQuery = Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=50)]


class CaseloadItem(BaseModel):
    """One participant in the caseload: ids, codes and dates only."""

    participant_id: UUID
    case_reference: str
    programme_id: str
    subproject_id: str
    course_id: str | None = Field(description="the course of the latest enrolment or participation fact")
    status: Status
    referred_on: date
    caseworker_email: str
    next_due_on: date | None = Field(description="the due date of the earliest follow-up check not yet recorded")
    overdue: bool = Field(description="a follow-up check not yet recorded was due before today")
    erased_on: date | None = Field(default=None, description="when the participant's personal data were erased")
    erasure_due_on: date | None = Field(
        default=None, description="when the personal data will be erased, consent (their only basis) withdrawn"
    )


class CaseloadPage(BaseModel):
    """One page of the caseload and how many participants match in all."""

    items: list[CaseloadItem]
    page: int
    page_size: int
    total: int


def asked_filter(
    request: Request,
    principal: Caseworker,
    case_reference: CaseReferenceQuery = None,
    status: Annotated[Status | None, Query(description="the participation status the timeline says")] = None,
    programme_id: CodeQuery = None,
    subproject_id: CodeQuery = None,
    course_id: CodeQuery = None,
    caseworker: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}$",
            description="me: the caller's own cases; a team lead may name any caseworker (their token subject)",
        ),
    ] = None,
    due: Annotated[
        Due | None,
        Query(description="due: an open follow-up check due within 14 days; overdue: one due before today"),
    ] = None,
) -> CaseloadFilter:
    """The filters asked for (a search by CPR number is POST /search/participants)."""
    return CaseloadFilter(
        case_reference=case_reference,
        status=status,
        programme_id=programme_id,
        subproject_id=subproject_id,
        course_id=course_id,
        caseworker_subject=_caseworker_asked(caseworker, principal),
        due=due,
    )


def _caseworker_asked(caseworker: str | None, principal: Principal) -> str | None:
    """Whose cases: me is the caller; another caseworker's caseload is a team lead's to see."""
    if caseworker is None or caseworker == "me":
        return principal.subject if caseworker else None
    if not principal.has("team-lead"):
        raise HTTPException(403, "only a team lead lists another caseworker's cases")
    return caseworker


def asked_page(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
    sort: Annotated[Sort, Query(description="a leading - sorts descending; ties by case reference")] = "-referred_on",
) -> Paging:
    """The page asked for."""
    return Paging(page=page, page_size=page_size, sort=sort)


@router.get("/participants")
async def list_participants(
    request: Request,
    principal: Caseworker,
    wanted: Annotated[CaseloadFilter, Depends(asked_filter)],
    paging: Annotated[Paging, Depends(asked_page)],
) -> CaseloadPage:
    """The caller's municipality's participants, without personal data."""
    return await _caseload(request, principal, wanted, paging)


@router.post("/search/participants")
async def search_participants(
    body: CprSearchIn, request: Request, principal: Caseworker, paging: Annotated[Paging, Depends(asked_page)]
) -> CaseloadPage:
    """The caller's municipality's cases of one citizen, found by the CPR number's keyed hash; audited."""
    vault: Vault = request.app.state.vault  # the number is turned into its keyed hash at once and goes no further
    return await _caseload(request, principal, CaseloadFilter(cpr_hash=vault.lookup_hash(body.cpr)), paging)


async def _caseload(request: Request, principal: Principal, wanted: CaseloadFilter, paging: Paging) -> CaseloadPage:
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    async with unit_of_work(sessions_of(request)) as session:
        rows, total = await find_caseload(
            session,
            principal.municipality,
            wanted,
            paging,
            today=today_in_copenhagen(),
            consent_erasure_days=request.app.state.consent_erasure_days,
        )
        if wanted.cpr_hash is not None:
            # Who looked up which citizen's cases: each participant shown, or that nobody was found.
            found = [row.participant_id for row in rows] or [NO_PARTICIPANT]
            await append(session, principal=principal, reads=[Read(p, SEARCHED_BY_CPR) for p in found])
    return CaseloadPage(
        items=[CaseloadItem.model_validate(row, from_attributes=True) for row in rows],
        page=paging.page,
        page_size=paging.page_size,
        total=total,
    )
