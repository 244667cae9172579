"""The catalogue's reads: each entry as the administrator sees it, with its history and what is in force.

Reads only: nothing here adds, changes or publishes a row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue import domain as rules
from services.enrolment.catalogue.schemas import (
    Amendment,
    CompanyOut,
    CourseOut,
    Extension,
    ProgrammeIn,
    ProgrammeOut,
    SubprojectOut,
    TargetIn,
    TargetOut,
)
from services.enrolment.domain import ACTIVE
from services.enrolment.tables import (
    Course,
    Participation,
    PartnerCompany,
    Programme,
    ProgrammeExtension,
    Subproject,
    Target,
    TargetAmendment,
)


# --- programmes -----------------------------------------------------------------------------------------------------
async def programme_view(*, session: AsyncSession, row: Programme) -> ProgrammeOut:
    """A programme with its extensions and the end in force."""
    extensions = (
        await session.exec(
            select(ProgrammeExtension)
            .where(ProgrammeExtension.programme_id == row.id)
            .order_by(col(ProgrammeExtension.decided_on), col(ProgrammeExtension.id))
        )
    ).all()
    granted = ProgrammeIn.model_validate(row.model_dump(include=set(ProgrammeIn.model_fields)))
    return ProgrammeOut(
        **granted.model_dump(),
        programme_id=row.id,
        ends_in_force_on=rules.end_in_force(row.ends_on, (e.ends_on for e in extensions)),
        extensions=[Extension(ends_on=e.ends_on, decided_on=e.decided_on, reason=e.reason) for e in extensions],
    )


async def get_programme(*, session: AsyncSession, programme_id: str) -> ProgrammeOut | None:
    """One programme, with its extensions; None if there is no such programme."""
    row = await session.get(Programme, programme_id)
    return await programme_view(session=session, row=row) if row else None


async def get_all_programmes(*, session: AsyncSession) -> list[ProgrammeOut]:
    """Every programme, ordered by id."""
    rows = (await session.exec(select(Programme).order_by(col(Programme.id)))).all()
    return [await programme_view(session=session, row=row) for row in rows]


async def programme_period(*, session: AsyncSession, programme_id: str) -> rules.Period | None:
    """A programme's period, extensions included; None if there is no such programme."""
    view = await get_programme(session=session, programme_id=programme_id)
    return rules.Period(view.starts_on, view.ends_in_force_on) if view else None


# --- targets --------------------------------------------------------------------------------------------------------
async def target_view(*, session: AsyncSession, row: Target, on: date) -> TargetOut:
    """A target with its amendments and the number in force on a date."""
    amendments = (
        await session.exec(
            select(TargetAmendment)
            .where(TargetAmendment.target_id == row.id)
            .order_by(col(TargetAmendment.effective_on))
        )
    ).all()
    view = TargetOut(
        **TargetIn.model_validate(row.model_dump(include=set(TargetIn.model_fields))).model_dump(),
        target_id=row.id,
        amendments=[Amendment(number=a.number, effective_on=a.effective_on, reason=a.reason) for a in amendments],
        in_force_on=on,
        number_in_force=None,
    )
    return view.model_copy(update={"number_in_force": rules.number_in_force(steps(view), on)})


async def get_target(*, session: AsyncSession, target_id: str, on: date) -> TargetOut | None:
    """One target with its history and the number in force on a date; None if there is no such target."""
    row = await session.get(Target, target_id)
    return await target_view(session=session, row=row, on=on) if row else None


async def targets_of(*, session: AsyncSession, programme_id: str, on: date) -> list[TargetOut] | None:
    """Every target of a programme, with the number in force on a date; None if there is no such programme."""
    if await session.get(Programme, programme_id) is None:
        return None
    rows = (
        await session.exec(select(Target).where(Target.programme_id == programme_id).order_by(col(Target.id)))
    ).all()
    return [await target_view(session=session, row=row, on=on) for row in rows]


def steps(view: TargetOut) -> list[rules.Step]:
    """A target's numbers in order: the one first set, then each amendment."""
    return [rules.Step(view.number, view.set_on), *(rules.Step(a.number, a.effective_on) for a in view.amendments)]


# --- sub-projects and partner companies -----------------------------------------------------------------------------
def subproject_view(row: Subproject) -> SubprojectOut:
    """A sub-project as the catalogue answers it."""
    return SubprojectOut.model_validate(row.model_dump(exclude={"id"}) | {"subproject_id": row.id})


async def subprojects_of(*, session: AsyncSession, programme_id: str | None) -> list[SubprojectOut]:
    """The sub-projects, of one programme or all."""
    query = select(Subproject).order_by(col(Subproject.id))
    if programme_id is not None:
        query = query.where(Subproject.programme_id == programme_id)
    return [subproject_view(row) for row in (await session.exec(query)).all()]


def company_view(row: PartnerCompany) -> CompanyOut:
    """A partner company as the catalogue answers it."""
    return CompanyOut.model_validate(row.model_dump(exclude={"id"}) | {"company_id": row.id})


async def companies_of(*, session: AsyncSession, programme_id: str | None) -> list[CompanyOut]:
    """The partner companies, of one programme or all."""
    query = select(PartnerCompany).order_by(col(PartnerCompany.id))
    if programme_id is not None:
        query = query.where(PartnerCompany.programme_id == programme_id)
    return [company_view(row) for row in (await session.exec(query)).all()]


# --- courses --------------------------------------------------------------------------------------------------------
def course_view(row: Course) -> CourseOut:
    """A course as the catalogue answers it."""
    return CourseOut.model_validate(row.model_dump(exclude={"id"}) | {"course_id": row.id})


async def courses_of(*, session: AsyncSession, programme_id: str | None, subproject_id: str | None) -> list[CourseOut]:
    """The courses, of one programme or sub-project, or all."""
    query = select(Course).order_by(col(Course.id))
    if programme_id is not None:
        query = query.where(Course.programme_id == programme_id)
    if subproject_id is not None:
        query = query.where(Course.subproject_id == subproject_id)
    return [course_view(row) for row in (await session.exec(query)).all()]


async def seats_held(*, session: AsyncSession, course_id: str) -> int:
    """How many participants hold a seat on a course (enrolled or started)."""
    held = await session.exec(
        select(func.count())
        .select_from(Participation)
        .where(Participation.course_id == course_id, col(Participation.status).in_(ACTIVE))
    )
    return int(held.one())
