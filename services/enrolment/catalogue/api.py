"""The administrator's API for the catalogue: programmes, extensions, targets and amendments, sub-projects, courses,
partner companies. Administrator role only; every refusal is a problem naming the field at fault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue import queries, service
from services.enrolment.catalogue.schemas import (
    AmendmentIn,
    CompanyIn,
    CompanyOut,
    CourseIn,
    CourseOut,
    ExtensionIn,
    ProgrammeIn,
    ProgrammeOut,
    SubprojectIn,
    SubprojectOut,
    TargetIn,
    TargetOut,
)
from shared.auth import Principal, require_role
from shared.clock import today_in_copenhagen
from shared.contracts import CODE_PATTERN
from shared.db import SessionMaker, unit_of_work
from shared.problems import refusal
from shared.rejection import Rejection
from shared.request_body import IsoDate

router = APIRouter(prefix="/catalogue", tags=["catalogue"])
Administrator = Annotated[Principal, Depends(require_role("administrator"))]
Id = Annotated[str, Path(pattern=CODE_PATTERN, max_length=50)]
ProgrammeFilter = Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=50)]
On = Annotated[IsoDate | None, Query(description="the date the numbers in force are asked for; today by default")]
T = TypeVar("T")


async def _change(request: Request, work: Callable[[AsyncSession], Awaitable[T | Rejection | None]]) -> T:
    """Run a change in one transaction; a refusal rolls it back and becomes a 422 problem, a missing entry 404."""
    sessions: SessionMaker = request.app.state.sessions
    async with unit_of_work(sessions) as session:
        outcome = await work(session)
        if isinstance(outcome, Rejection):
            raise RefusedChange(outcome)  # leaving the unit of work by an exception rolls it back
    if outcome is None:
        raise HTTPException(404, "no such catalogue entry")
    return outcome


class RefusedChange(Exception):
    """A catalogue change the rules refuse."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.detail)
        self.rejection = rejection


def refused_change(_: Request, exc: Exception) -> JSONResponse:
    """The problem answer to a refused change: 422, the reason as its type, the field at fault listed."""
    assert isinstance(exc, RefusedChange)
    return refusal(exc.rejection)


async def _read(request: Request, work: Callable[[AsyncSession], Awaitable[T | None]]) -> T:
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session:
        outcome = await work(session)
    if outcome is None:
        raise HTTPException(404, "no such catalogue entry")
    return outcome


# --- programmes -----------------------------------------------------------------------------------------------------
@router.put("/programmes/{programme_id}")
async def put_programme(programme_id: Id, body: ProgrammeIn, request: Request, _: Administrator) -> ProgrammeOut:
    """Create or replace a programme as granted; its extensions stay."""
    return await _change(
        request, lambda s: service.put_programme(session=s, programme_id=programme_id, programme_in=body)
    )


@router.post("/programmes/{programme_id}/extensions")
async def extend_programme(programme_id: Id, body: ExtensionIn, request: Request, _: Administrator) -> ProgrammeOut:
    """Extend a programme's period; the decision is kept with its date and reason."""
    return await _change(
        request, lambda s: service.extend_programme(session=s, programme_id=programme_id, extension_in=body)
    )


@router.get("/programmes")
async def list_programmes(request: Request, _: Administrator) -> list[ProgrammeOut]:
    """Every programme."""
    return await _read(request, lambda s: queries.get_all_programmes(session=s))


@router.get("/programmes/{programme_id}")
async def get_programme(programme_id: Id, request: Request, _: Administrator) -> ProgrammeOut:
    """One programme, with its extensions."""
    return await _read(request, lambda s: queries.get_programme(session=s, programme_id=programme_id))


@router.get("/programmes/{programme_id}/targets")
async def list_targets(programme_id: Id, request: Request, _: Administrator, on: On = None) -> list[TargetOut]:
    """A programme's targets, each with the number in force on the date asked for."""
    in_force_on = on or today_in_copenhagen()
    return await _read(request, lambda s: queries.targets_of(session=s, programme_id=programme_id, on=in_force_on))


# --- targets --------------------------------------------------------------------------------------------------------
@router.put("/targets/{target_id}")
async def put_target(target_id: Id, body: TargetIn, request: Request, _: Administrator) -> TargetOut:
    """Create or replace a target's figure and first number; its amendments stay."""
    return await _change(request, lambda s: service.put_target(session=s, target_id=target_id, target_in=body))


@router.post("/targets/{target_id}/amendments")
async def amend_target(target_id: Id, body: AmendmentIn, request: Request, _: Administrator) -> TargetOut:
    """Give a target a new number from a date on; the earlier numbers stay in its history."""
    return await _change(request, lambda s: service.amend_target(session=s, target_id=target_id, amendment_in=body))


@router.get("/targets/{target_id}")
async def get_target(target_id: Id, request: Request, _: Administrator, on: On = None) -> TargetOut:
    """One target with its history and the number in force on the date asked for."""
    in_force_on = on or today_in_copenhagen()
    return await _read(request, lambda s: queries.get_target(session=s, target_id=target_id, on=in_force_on))


# --- sub-projects and partner companies -----------------------------------------------------------------------------
@router.put("/subprojects/{subproject_id}")
async def put_subproject(subproject_id: Id, body: SubprojectIn, request: Request, _: Administrator) -> SubprojectOut:
    """Create or replace a sub-project; it must lie inside its programme's period."""
    return await _change(
        request, lambda s: service.put_subproject(session=s, subproject_id=subproject_id, subproject_in=body)
    )


@router.get("/subprojects")
async def list_subprojects(
    request: Request, _: Administrator, programme_id: ProgrammeFilter = None
) -> list[SubprojectOut]:
    """The sub-projects, of one programme or all."""
    return await _read(request, lambda s: queries.subprojects_of(session=s, programme_id=programme_id))


@router.put("/courses/{course_id}")
async def put_course(course_id: Id, body: CourseIn, request: Request, _: Administrator) -> CourseOut:
    """Create or replace a course: inside its sub-project's period, in a municipality it serves, 1 seat or more."""
    return await _change(request, lambda s: service.put_course(session=s, course_id=course_id, course_in=body))


@router.get("/courses")
async def list_courses(
    request: Request, _: Administrator, programme_id: ProgrammeFilter = None, subproject_id: ProgrammeFilter = None
) -> list[CourseOut]:
    """The courses, of one programme or sub-project, or all."""
    return await _read(
        request, lambda s: queries.courses_of(session=s, programme_id=programme_id, subproject_id=subproject_id)
    )


@router.put("/companies/{company_id}")
async def put_company(company_id: Id, body: CompanyIn, request: Request, _: Administrator) -> CompanyOut:
    """Create or replace a partner company (its CVR number is checked, and never leaves enrolment)."""
    return await _change(request, lambda s: service.put_company(session=s, company_id=company_id, company_in=body))


@router.get("/companies")
async def list_companies(request: Request, _: Administrator, programme_id: ProgrammeFilter = None) -> list[CompanyOut]:
    """The partner companies, of one programme or all."""
    return await _read(request, lambda s: queries.companies_of(session=s, programme_id=programme_id))
