"""The catalogue's use cases: set up programmes, targets, sub-projects, courses and partner companies; read them back.

Each change is validated by catalogue_domain, written, and published as the entry's whole new state on the
compacted catalogue topic, in the caller's transaction; a change that changes nothing publishes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment import catalogue_domain as rules
from services.enrolment.catalogue_models import (
    Amendment,
    AmendmentIn,
    CompanyIn,
    CompanyOut,
    CourseIn,
    CourseOut,
    Extension,
    ExtensionIn,
    ProgrammeIn,
    ProgrammeOut,
    SubprojectIn,
    SubprojectOut,
    TargetIn,
    TargetOut,
)
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
from shared import contracts
from shared.outbox import publish
from shared.rejection import Rejection

SOURCE = "rummelig/enrolment"


# --- programmes -----------------------------------------------------------------------------------------------------
async def put_programme(session: AsyncSession, programme_id: str, data: ProgrammeIn) -> ProgrammeOut | Rejection:
    """Create or replace a programme as granted (its extensions stay)."""
    problem = rules.period_problem(data.starts_on, data.ends_on)
    if problem:
        return problem
    row = await session.get(Programme, programme_id, with_for_update=True)
    before = await programme_view(session, row) if row else None
    if row is None:
        row = Programme(id=programme_id, **data.model_dump())
        session.add(row)
    else:
        for key, value in data.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    return await _published_programme(session, row, before)


async def extend_programme(
    session: AsyncSession, programme_id: str, data: ExtensionIn
) -> ProgrammeOut | Rejection | None:
    """Extend a programme's period; None if there is no such programme."""
    row = await session.get(Programme, programme_id, with_for_update=True)
    if row is None:
        return None
    before = await programme_view(session, row)
    problem = rules.extension_problem(before.ends_in_force_on, data.ends_on)
    if problem:
        return problem
    session.add(ProgrammeExtension(programme_id=programme_id, **data.model_dump()))
    await session.flush()
    return await _published_programme(session, row, before)


async def programme_view(session: AsyncSession, row: Programme) -> ProgrammeOut:
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


async def programme_period(session: AsyncSession, programme_id: str) -> rules.Period | None:
    """A programme's period, extensions included; None if there is no such programme."""
    row = await session.get(Programme, programme_id)
    if row is None:
        return None
    view = await programme_view(session, row)
    return rules.Period(view.starts_on, view.ends_in_force_on)


async def _published_programme(session: AsyncSession, row: Programme, before: ProgrammeOut | None) -> ProgrammeOut:
    after = await programme_view(session, row)
    if after != before:
        publish(
            session,
            contracts.ProgrammePublished(
                programme_id=after.programme_id,
                title=after.title,
                operator=after.operator,
                region=after.region,
                starts_on=after.starts_on,
                ends_on=after.ends_in_force_on,
                fund=after.fund,
                settings=contracts.ProgrammeSettings.model_validate(after.model_dump()),
            ),
            source=SOURCE,
        )
    return after


# --- targets --------------------------------------------------------------------------------------------------------
async def put_target(session: AsyncSession, target_id: str, data: TargetIn) -> TargetOut | Rejection:
    """Create or replace a target's figure and first number (its amendments stay)."""
    if await session.get(Programme, data.programme_id) is None:
        return rules.unknown_problem("programme", data.programme_id, "programme_id")
    if data.subproject_id is not None:
        subproject = await session.get(Subproject, data.subproject_id)
        if subproject is None or subproject.programme_id != data.programme_id:
            return rules.unknown_problem("sub-project", data.subproject_id, "subproject_id")
    row = await session.get(Target, target_id, with_for_update=True)
    before = await target_view(session, row, date.min) if row else None
    first_amended = min((a.effective_on for a in before.amendments), default=None) if before else None
    if first_amended is not None and data.set_on >= first_amended:  # else two numbers would start the same day
        return Rejection(
            "set-after-amendment",
            f"the target was amended from {first_amended.isoformat()}: its first number must apply before that",
            "set_on",
        )
    if row is None:
        row = Target(id=target_id, **data.model_dump())
        session.add(row)
    else:
        for key, value in data.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    return await _published_target(session, row, before)


async def amend_target(session: AsyncSession, target_id: str, data: AmendmentIn) -> TargetOut | Rejection | None:
    """Give a target a new number from a date on, keeping the history; None if there is no such target."""
    row = await session.get(Target, target_id, with_for_update=True)
    if row is None:
        return None
    before = await target_view(session, row, date.min)
    problem = rules.amendment_problem(_steps(before), rules.Step(data.number, data.effective_on))
    if problem:
        return problem
    session.add(TargetAmendment(target_id=target_id, **data.model_dump()))
    await session.flush()
    return await _published_target(session, row, before)


async def target_view(session: AsyncSession, row: Target, on: date) -> TargetOut:
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
    return view.model_copy(update={"number_in_force": rules.number_in_force(_steps(view), on)})


async def targets_of(session: AsyncSession, programme_id: str, on: date) -> list[TargetOut]:
    """Every target of a programme, with the number in force on a date."""
    rows = (
        await session.exec(select(Target).where(Target.programme_id == programme_id).order_by(col(Target.id)))
    ).all()
    return [await target_view(session, row, on) for row in rows]


def _steps(view: TargetOut) -> list[rules.Step]:
    return [rules.Step(view.number, view.set_on), *(rules.Step(a.number, a.effective_on) for a in view.amendments)]


async def _published_target(session: AsyncSession, row: Target, before: TargetOut | None) -> TargetOut:
    after = await target_view(session, row, date.min)
    if after != before:
        publish(
            session,
            contracts.TargetPublished(
                target_id=after.target_id,
                programme_id=after.programme_id,
                subproject_id=after.subproject_id,
                figure=after.figure,
                steps=[contracts.TargetStep(number=s.number, effective_on=s.effective_on) for s in _steps(after)],
            ),
            source=SOURCE,
        )
    return after


# --- sub-projects ---------------------------------------------------------------------------------------------------
async def put_subproject(session: AsyncSession, subproject_id: str, data: SubprojectIn) -> SubprojectOut | Rejection:
    """Create or replace a sub-project; it must lie inside its programme's period."""
    problem = rules.period_problem(data.starts_on, data.ends_on)
    if problem:
        return problem
    period = await programme_period(session, data.programme_id)
    if period is None:
        return rules.unknown_problem("programme", data.programme_id, "programme_id")
    problem = rules.inside_programme_problem(period, rules.Period(data.starts_on, data.ends_on), "sub-project")
    if problem:
        return problem
    row = await session.get(Subproject, subproject_id, with_for_update=True)
    before = _subproject_view(row) if row else None
    values = data.model_dump(mode="json") | {"starts_on": data.starts_on, "ends_on": data.ends_on}
    if row is None:
        row = Subproject(id=subproject_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
    after = _subproject_view(row)
    if after != before:
        publish(
            session,
            contracts.SubprojectPublished(
                subproject_id=subproject_id,
                **after.model_dump(exclude={"subproject_id", "provider"}),
            ),
            source=SOURCE,
        )
    return after


def _subproject_view(row: Subproject) -> SubprojectOut:
    return SubprojectOut.model_validate(row.model_dump(exclude={"id"}) | {"subproject_id": row.id})


async def subprojects_of(session: AsyncSession, programme_id: str | None) -> list[SubprojectOut]:
    """The sub-projects, of one programme or all."""
    query = select(Subproject).order_by(col(Subproject.id))
    if programme_id is not None:
        query = query.where(Subproject.programme_id == programme_id)
    return [_subproject_view(row) for row in (await session.exec(query)).all()]


# --- partner companies ----------------------------------------------------------------------------------------------
async def put_company(session: AsyncSession, company_id: str, data: CompanyIn) -> CompanyOut | Rejection:
    """Create or replace a partner company; its CVR number must be valid and its sub-projects the programme's."""
    if not rules.valid_cvr(data.cvr):
        return Rejection("invalid-cvr", "a CVR number is eight digits with a valid modulus-11 check", "cvr")
    if await session.get(Programme, data.programme_id) is None:
        return rules.unknown_problem("programme", data.programme_id, "programme_id")
    for subproject_id in data.subproject_ids:
        subproject = await session.get(Subproject, subproject_id)
        if subproject is None or subproject.programme_id != data.programme_id:
            return rules.unknown_problem("sub-project", subproject_id, "subproject_ids")
    same_cvr = (await session.exec(select(PartnerCompany).where(PartnerCompany.cvr == data.cvr))).first()
    if same_cvr is not None and same_cvr.id != company_id:
        return Rejection("duplicate-cvr", f"the CVR number is already the partner company {same_cvr.id!r}", "cvr")
    row = await session.get(PartnerCompany, company_id, with_for_update=True)
    before = _company_view(row) if row else None
    if row is None:
        row = PartnerCompany(id=company_id, **data.model_dump())
        session.add(row)
    else:
        for key, value in data.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    after = _company_view(row)
    if after != before:
        publish(
            session,
            contracts.CompanyPublished(
                company_id=company_id,
                programme_id=after.programme_id,
                kind=after.kind,
                recruited_on=after.recruited_on,
                subproject_ids=after.subproject_ids,
            ),
            source=SOURCE,
        )
    return after


def _company_view(row: PartnerCompany) -> CompanyOut:
    return CompanyOut.model_validate(row.model_dump(exclude={"id"}) | {"company_id": row.id})


async def companies_of(session: AsyncSession, programme_id: str | None) -> list[CompanyOut]:
    """The partner companies, of one programme or all."""
    query = select(PartnerCompany).order_by(col(PartnerCompany.id))
    if programme_id is not None:
        query = query.where(PartnerCompany.programme_id == programme_id)
    return [_company_view(row) for row in (await session.exec(query)).all()]


# --- courses --------------------------------------------------------------------------------------------------------
async def put_course(session: AsyncSession, course_id: str, data: CourseIn) -> CourseOut | Rejection:
    """Create or replace a course: inside its sub-project's period and area, never fewer seats than are held."""
    problem = rules.period_problem(data.starts_on, data.ends_on)
    if problem:
        return problem
    subproject = await session.get(Subproject, data.subproject_id)
    if subproject is None:
        return rules.unknown_problem("sub-project", data.subproject_id, "subproject_id")
    problem = rules.inside_subproject_problem(
        rules.Period(subproject.starts_on, subproject.ends_on), rules.Period(data.starts_on, data.ends_on)
    )
    if problem:
        return problem
    # FOR UPDATE: enrolments decide seats under the same lock, so the count below cannot change underneath
    row = await session.get(Course, course_id, with_for_update=True)
    held = await _seats_held(session, course_id) if row else 0
    if row is not None and held and row.subproject_id != data.subproject_id:
        return Rejection("course-in-use", "participants hold seats on the course: it cannot move", "subproject_id")
    problem = rules.course_problem(
        municipality=data.municipality, served=subproject.municipalities, capacity=data.capacity, seats_taken=held
    )
    if problem:
        return problem
    before = _course_view(row) if row else None
    values = data.model_dump() | {"programme_id": subproject.programme_id}
    if row is None:
        row = Course(id=course_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
    after = _course_view(row)
    if after != before:
        publish(session, contracts.CoursePublished(**after.model_dump()), source=SOURCE)
    return after


async def _seats_held(session: AsyncSession, course_id: str) -> int:
    held = await session.exec(
        select(func.count())
        .select_from(Participation)
        .where(Participation.course_id == course_id, col(Participation.status).in_(("enrolled", "started")))
    )
    return int(held.one())


def _course_view(row: Course) -> CourseOut:
    return CourseOut.model_validate(row.model_dump(exclude={"id"}) | {"course_id": row.id})


async def courses_of(session: AsyncSession, programme_id: str | None, subproject_id: str | None) -> list[CourseOut]:
    """The courses, of one programme or sub-project, or all."""
    query = select(Course).order_by(col(Course.id))
    if programme_id is not None:
        query = query.where(Course.programme_id == programme_id)
    if subproject_id is not None:
        query = query.where(Course.subproject_id == subproject_id)
    return [_course_view(row) for row in (await session.exec(query)).all()]
