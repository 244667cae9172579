"""The administrator pages' use cases: a programme's catalogue read for its pages, and each form's change made
through the catalogue's own use case (catalogue.service), as the API makes it. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
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
from services.enrolment.pages.domain import AdminForm, FormKind
from services.enrolment.tables import Course, PartnerCompany, Programme, Subproject, Target
from shared.rejection import Rejection

Mode = Literal["new", "change"]
# What each form's body is, as the catalogue API validates it.
BODIES: dict[FormKind, type[BaseModel]] = {
    "programme": ProgrammeIn,
    "extension": ExtensionIn,
    "target": TargetIn,
    "amendment": AmendmentIn,
    "subproject": SubprojectIn,
    "course": CourseIn,
    "company": CompanyIn,
}
_TABLES: dict[FormKind, Any] = {
    "programme": Programme,
    "target": Target,
    "amendment": Target,
    "subproject": Subproject,
    "course": Course,
    "company": PartnerCompany,
}


@dataclass(frozen=True)
class ProgrammeCatalogue:
    """A programme and everything of it in the catalogue, targets with the numbers in force on a date."""

    programme: ProgrammeOut
    targets: list[TargetOut]
    subprojects: list[SubprojectOut]
    courses: list[CourseOut]
    companies: list[CompanyOut]
    on: date


async def programmes(session: AsyncSession) -> list[ProgrammeOut]:
    """Every programme, as the catalogue API lists them."""
    return await queries.get_all_programmes(session=session)


async def programme_catalogue(session: AsyncSession, programme_id: str, *, on: date) -> ProgrammeCatalogue | None:
    """The programme's catalogue through the catalogue's reads; None if there is no such programme."""
    programme = await queries.get_programme(session=session, programme_id=programme_id)
    if programme is None:
        return None
    return ProgrammeCatalogue(
        programme=programme,
        targets=await queries.targets_of(session=session, programme_id=programme_id, on=on) or [],
        subprojects=await queries.subprojects_of(session=session, programme_id=programme_id),
        courses=await queries.courses_of(session=session, programme_id=programme_id, subproject_id=None),
        companies=await queries.companies_of(session=session, programme_id=programme_id),
        on=on,
    )


async def change(
    session: AsyncSession, form: AdminForm, body: BaseModel, *, programme_id: str, entry: str | None, mode: Mode
) -> object | Rejection | None:
    """Make a form's change through the catalogue's use case: the entry's new state, a refusal, or None when the
    entry to change is not this programme's. A new entry may not take an id the catalogue already holds (a form
    must not replace, or move to this programme, what it did not show), unless the catalogue holds it just as sent:
    the same form sent twice (a double click) is one change."""
    entry_id = entry or programme_id
    if form.kind != "extension":
        row = await session.get(_TABLES[form.kind], entry_id)
        if mode == "new" and row is not None and not await _held_as_sent(session, form.kind, row, body):
            return Rejection("id-taken", f"{entry_id!r} is already used in the catalogue", "entry_id")
        owner = None if row is None else (row.id if form.kind == "programme" else row.programme_id)
        if mode == "change" and owner != programme_id:
            return None
    match body:
        case ProgrammeIn():
            return await service.put_programme(session=session, programme_id=entry_id, programme_in=body)
        case ExtensionIn():
            return await service.extend_programme(session=session, programme_id=programme_id, extension_in=body)
        case TargetIn():
            return await service.put_target(session=session, target_id=entry_id, target_in=body)
        case AmendmentIn():
            return await service.amend_target(session=session, target_id=entry_id, amendment_in=body)
        case SubprojectIn():
            return await service.put_subproject(session=session, subproject_id=entry_id, subproject_in=body)
        case CourseIn():
            return await service.put_course(session=session, course_id=entry_id, course_in=body)
        case CompanyIn():
            return await service.put_company(session=session, company_id=entry_id, company_in=body)
    raise TypeError(f"no catalogue change for {type(body).__name__}")


async def _held_as_sent(session: AsyncSession, kind: FormKind, row: Any, body: BaseModel) -> bool:
    """Whether the catalogue holds the entry exactly as the body describes it."""
    match kind:
        case "programme":
            held: BaseModel = await queries.programme_view(session=session, row=row)
        case "target":
            held = await queries.target_view(session=session, row=row, on=date.min)
        case "subproject":
            held = queries.subproject_view(row)
        case "course":
            held = queries.course_view(row)
        case _:
            held = queries.company_view(row)
    return held.model_dump(include=set(type(body).model_fields)) == body.model_dump()
