"""The catalogue's use cases: set up programmes, targets, sub-projects, partner companies and courses.

Each change is validated by the catalogue's domain, written, and published as the entry's whole new state on the
compacted catalogue topic, in the caller's transaction (nothing here commits); a change that changes nothing
publishes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment import SOURCE
from services.enrolment.catalogue import domain as rules
from services.enrolment.catalogue import queries
from services.enrolment.catalogue.schemas import (
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


# --- programmes -----------------------------------------------------------------------------------------------------
async def put_programme(
    *, session: AsyncSession, programme_id: str, programme_in: ProgrammeIn
) -> ProgrammeOut | Rejection:
    """Create or replace a programme as granted (its extensions stay)."""
    problem = rules.period_problem(programme_in.starts_on, programme_in.ends_on)
    if problem:
        return problem
    row = await session.get(Programme, programme_id, with_for_update=True)
    before = await queries.programme_view(session=session, row=row) if row else None
    if row is None:
        row = Programme(id=programme_id, **programme_in.model_dump())
        session.add(row)
    else:
        for key, value in programme_in.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    return await _published_programme(session, row, before)


async def extend_programme(
    *, session: AsyncSession, programme_id: str, extension_in: ExtensionIn
) -> ProgrammeOut | Rejection | None:
    """Extend a programme's period (the same decision twice is kept once); None if there is no such programme."""
    row = await session.get(Programme, programme_id, with_for_update=True)
    if row is None:
        return None
    before = await queries.programme_view(session=session, row=row)
    if Extension(**extension_in.model_dump()) in before.extensions:
        return before  # the same decision sent again (a retry, a double click): kept once
    problem = rules.extension_problem(before.ends_in_force_on, extension_in.ends_on)
    if problem:
        return problem
    session.add(ProgrammeExtension(programme_id=programme_id, **extension_in.model_dump()))
    await session.flush()
    return await _published_programme(session, row, before)


async def _published_programme(session: AsyncSession, row: Programme, before: ProgrammeOut | None) -> ProgrammeOut:
    after = await queries.programme_view(session=session, row=row)
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
async def put_target(*, session: AsyncSession, target_id: str, target_in: TargetIn) -> TargetOut | Rejection:
    """Create or replace a target's figure and first number (its amendments stay)."""
    if await session.get(Programme, target_in.programme_id) is None:
        return rules.unknown_problem("programme", target_in.programme_id, "programme_id")
    if target_in.subproject_id is not None:
        subproject = await session.get(Subproject, target_in.subproject_id)
        if subproject is None or subproject.programme_id != target_in.programme_id:
            return rules.unknown_problem("sub-project", target_in.subproject_id, "subproject_id")
    row = await session.get(Target, target_id, with_for_update=True)
    before = await queries.target_view(session=session, row=row, on=date.min) if row else None
    first_amended = min((a.effective_on for a in before.amendments), default=None) if before else None
    if first_amended is not None and target_in.set_on >= first_amended:  # else two numbers would start the same day
        return Rejection(
            "set-after-amendment",
            f"the target was amended from {first_amended.isoformat()}: its first number must apply before that",
            "set_on",
        )
    if row is None:
        row = Target(id=target_id, **target_in.model_dump())
        session.add(row)
    else:
        for key, value in target_in.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    return await _published_target(session, row, before)


async def amend_target(
    *, session: AsyncSession, target_id: str, amendment_in: AmendmentIn
) -> TargetOut | Rejection | None:
    """Give a target a new number from a date on, keeping the history (the same decision twice is kept once); None
    if there is no such target."""
    row = await session.get(Target, target_id, with_for_update=True)
    if row is None:
        return None
    before = await queries.target_view(session=session, row=row, on=date.min)
    if Amendment(**amendment_in.model_dump()) in before.amendments:
        return before  # the same decision sent again (a retry, a double click): kept once
    problem = rules.amendment_problem(queries.steps(before), rules.Step(amendment_in.number, amendment_in.effective_on))
    if problem:
        return problem
    session.add(TargetAmendment(target_id=target_id, **amendment_in.model_dump()))
    await session.flush()
    return await _published_target(session, row, before)


async def _published_target(session: AsyncSession, row: Target, before: TargetOut | None) -> TargetOut:
    after = await queries.target_view(session=session, row=row, on=date.min)
    if after != before:
        publish(
            session,
            contracts.TargetPublished(
                target_id=after.target_id,
                programme_id=after.programme_id,
                subproject_id=after.subproject_id,
                figure=after.figure,
                steps=[
                    contracts.TargetStep(number=s.number, effective_on=s.effective_on) for s in queries.steps(after)
                ],
            ),
            source=SOURCE,
        )
    return after


# --- sub-projects ---------------------------------------------------------------------------------------------------
async def put_subproject(
    *, session: AsyncSession, subproject_id: str, subproject_in: SubprojectIn
) -> SubprojectOut | Rejection:
    """Create or replace a sub-project; it must lie inside its programme's period."""
    problem = rules.period_problem(subproject_in.starts_on, subproject_in.ends_on)
    if problem:
        return problem
    period = await queries.programme_period(session=session, programme_id=subproject_in.programme_id)
    if period is None:
        return rules.unknown_problem("programme", subproject_in.programme_id, "programme_id")
    inner = rules.Period(subproject_in.starts_on, subproject_in.ends_on)
    problem = rules.inside_programme_problem(period, inner, "sub-project")
    if problem:
        return problem
    row = await session.get(Subproject, subproject_id, with_for_update=True)
    before = queries.subproject_view(row) if row else None
    values = subproject_in.model_dump(mode="json") | {
        "starts_on": subproject_in.starts_on,
        "ends_on": subproject_in.ends_on,
    }
    if row is None:
        row = Subproject(id=subproject_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
    after = queries.subproject_view(row)
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


# --- partner companies ----------------------------------------------------------------------------------------------
async def put_company(*, session: AsyncSession, company_id: str, company_in: CompanyIn) -> CompanyOut | Rejection:
    """Create or replace a partner company; its CVR number must be valid and its sub-projects the programme's."""
    if not rules.valid_cvr(company_in.cvr):
        return Rejection("invalid-cvr", "a CVR number is eight digits with a valid modulus-11 check", "cvr")
    if await session.get(Programme, company_in.programme_id) is None:
        return rules.unknown_problem("programme", company_in.programme_id, "programme_id")
    for subproject_id in company_in.subproject_ids:
        subproject = await session.get(Subproject, subproject_id)
        if subproject is None or subproject.programme_id != company_in.programme_id:
            return rules.unknown_problem("sub-project", subproject_id, "subproject_ids")
    same_cvr = (await session.exec(select(PartnerCompany).where(PartnerCompany.cvr == company_in.cvr))).first()
    if same_cvr is not None and same_cvr.id != company_id:
        return Rejection("duplicate-cvr", f"the CVR number is already the partner company {same_cvr.id!r}", "cvr")
    row = await session.get(PartnerCompany, company_id, with_for_update=True)
    before = queries.company_view(row) if row else None
    if row is None:
        row = PartnerCompany(id=company_id, **company_in.model_dump())
        session.add(row)
    else:
        for key, value in company_in.model_dump().items():
            setattr(row, key, value)
    await session.flush()
    after = queries.company_view(row)
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


# --- courses --------------------------------------------------------------------------------------------------------
async def put_course(*, session: AsyncSession, course_id: str, course_in: CourseIn) -> CourseOut | Rejection:
    """Create or replace a course: inside its sub-project's period and area, never fewer seats than are held."""
    problem = rules.period_problem(course_in.starts_on, course_in.ends_on)
    if problem:
        return problem
    subproject = await session.get(Subproject, course_in.subproject_id)
    if subproject is None:
        return rules.unknown_problem("sub-project", course_in.subproject_id, "subproject_id")
    problem = rules.inside_subproject_problem(
        rules.Period(subproject.starts_on, subproject.ends_on), rules.Period(course_in.starts_on, course_in.ends_on)
    )
    if problem:
        return problem
    # FOR UPDATE: enrolments decide seats under the same lock, so the count below cannot change underneath
    row = await session.get(Course, course_id, with_for_update=True)
    held = await queries.seats_held(session=session, course_id=course_id) if row else 0
    if row is not None and held and row.subproject_id != course_in.subproject_id:
        return Rejection("course-in-use", "participants hold seats on the course: it cannot move", "subproject_id")
    problem = rules.course_problem(
        municipality=course_in.municipality,
        served=subproject.municipalities,
        capacity=course_in.capacity,
        seats_taken=held,
    )
    if problem:
        return problem
    before = queries.course_view(row) if row else None
    values = course_in.model_dump() | {"programme_id": subproject.programme_id}
    if row is None:
        row = Course(id=course_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
    after = queries.course_view(row)
    if after != before:
        publish(session, contracts.CoursePublished(**after.model_dump()), source=SOURCE)
    return after
