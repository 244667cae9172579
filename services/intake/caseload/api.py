"""The caseworker's caseload: their municipality's participants, filtered, sorted and paged, without personal data;
and provider staff's view of their courses' participants, by case reference and first name (never a CPR number).

The list names no CPR number, name or contact: one participant's personal data stays behind the audited
GET /participants/{id}. Listing is therefore not audited, except a search by CPR number, which is (found or not),
and each first name shown to provider staff.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from services.intake.caseload.queries import CaseloadFilter, Due, Paging, Sort
from services.intake.caseload.schemas import CaseloadItem, CaseloadPage, CourseParticipant, CprSearchIn
from services.intake.caseload.service import caseload, course_participants_of
from services.intake.deps import Caseworker, ProviderStaff, Sessions, TheVault
from services.intake.domain import Status
from shared.auth import Principal
from shared.clock import today_in_copenhagen
from shared.contracts import CODE_PATTERN
from shared.db import unit_of_work

router = APIRouter(tags=["participants"])
MAX_PAGE = 100_000  # far beyond any municipality's caseload; keeps the offset a number PostgreSQL can hold


CaseReferenceQuery = Annotated[str | None, Query(pattern=r"^RUM-[0-9]{6,}$", max_length=20)]
CodeQuery = Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=50)]


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
    sessions: Sessions,
    principal: Caseworker,
    wanted: Annotated[CaseloadFilter, Depends(asked_filter)],
    paging: Annotated[Paging, Depends(asked_page)],
) -> CaseloadPage:
    """The caller's municipality's participants, without personal data."""
    return await _page(request, sessions, principal, wanted, paging)


@router.post("/search/participants")
async def search_participants(
    body: CprSearchIn,
    request: Request,
    sessions: Sessions,
    vault: TheVault,
    principal: Caseworker,
    paging: Annotated[Paging, Depends(asked_page)],
) -> CaseloadPage:
    """The caller's municipality's cases of one citizen, found by the CPR number's keyed hash; audited."""
    # the number is turned into its keyed hash at once and goes no further
    return await _page(request, sessions, principal, CaseloadFilter(cpr_hash=vault.lookup_hash(body.cpr)), paging)


@router.get("/courses/{course_id}/participants", tags=["provider"])
async def course_participants(
    course_id: Annotated[str, Path(pattern=CODE_PATTERN, max_length=50)],
    sessions: Sessions,
    vault: TheVault,
    principal: ProviderStaff,
) -> list[CourseParticipant]:
    """The participants whose latest step is on one of the provider's courses; each first name read is audited."""
    async with unit_of_work(sessions) as session:
        listed = await course_participants_of(session, vault, principal, course_id)
    if listed is None:
        raise HTTPException(404, "no such course among your sub-projects'")
    return [CourseParticipant(**vars(p)) for p in listed]


async def _page(
    request: Request, sessions: Sessions, principal: Principal, wanted: CaseloadFilter, paging: Paging
) -> CaseloadPage:
    assert principal.municipality is not None  # require_role("caseworker") guarantees it
    async with unit_of_work(sessions) as session:
        rows, total = await caseload(
            session,
            principal,
            wanted,
            paging,
            today=today_in_copenhagen(),
            consent_erasure_days=request.app.state.consent_erasure_days,
        )
    return CaseloadPage(
        items=[CaseloadItem.model_validate(row, from_attributes=True) for row in rows],
        page=paging.page,
        page_size=paging.page_size,
        total=total,
    )
