"""Intake's read model of the catalogue: programmes, sub-projects and courses as enrolment last published them.

Each record on the compacted catalogue topic is an entry's whole current state, so a handler replaces the row by
id. Intake keeps only what it will check referrals against; targets and partner companies are not its business.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import Referral, Span, SubprojectReach, catalogue_problem
from services.intake.tables import CatalogueCourse, CatalogueProgramme, CatalogueSubproject
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent
from shared.rejection import Rejection


async def on_programme_published(session: AsyncSession, fact: contracts.ProgrammePublished, _event: CloudEvent) -> None:
    """Keep the programme's period and fund."""
    await session.merge(
        CatalogueProgramme(
            id=fact.programme_id, title=fact.title, starts_on=fact.starts_on, ends_on=fact.ends_on, fund=fact.fund
        )
    )


async def on_subproject_published(
    session: AsyncSession, fact: contracts.SubprojectPublished, _event: CloudEvent
) -> None:
    """Keep where the sub-project works and whom it serves; the coordinator's email is not intake's to keep."""
    await session.merge(
        CatalogueSubproject(
            id=fact.subproject_id,
            programme_id=fact.programme_id,
            municipalities=list(fact.municipalities),
            target_groups=list(fact.target_groups),
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            scope=fact.scope,
        )
    )


async def on_course_published(session: AsyncSession, fact: contracts.CoursePublished, _event: CloudEvent) -> None:
    """Keep the course's sub-project, place, dates and capacity."""
    await session.merge(
        CatalogueCourse(
            id=fact.course_id,
            programme_id=fact.programme_id,
            subproject_id=fact.subproject_id,
            municipality=fact.municipality,
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            capacity=fact.capacity,
        )
    )


HANDLERS: Handlers = {
    contracts.ProgrammePublished: on_programme_published,
    contracts.SubprojectPublished: on_subproject_published,
    contracts.CoursePublished: on_course_published,
}


async def programme(session: AsyncSession, programme_id: str) -> CatalogueProgramme | None:
    """The programme as last published, or None if the catalogue has not published it."""
    return await session.get(CatalogueProgramme, programme_id)


async def subproject_serving(session: AsyncSession, subproject_id: str) -> CatalogueSubproject | None:
    """The sub-project a referral names, with its municipalities and target groups; None if it is unknown."""
    return await session.get(CatalogueSubproject, subproject_id)


async def referral_problem(
    session: AsyncSession, referral: Referral, *, municipality: str, today: date
) -> Rejection | None:
    """What the catalogue says against a referral: unknown or inactive programme or sub-project, or not served."""
    # one round trip for both entries: this runs on every referral (bench/intake.py)
    found = (
        await session.exec(  # type: ignore[call-overload]
            _REACH, params={"programme": referral.programme_id, "subproject": referral.subproject_id}
        )
    ).one()
    return catalogue_problem(
        programme_id=referral.programme_id,
        subproject_id=referral.subproject_id,
        target_group=referral.target_group,
        municipality=municipality,
        referred_on=referral.referred_on or today,
        programme=Span(found.p_starts_on, found.p_ends_on) if found.p_starts_on else None,
        subproject=(
            SubprojectReach(
                programme_id=found.s_programme_id,
                period=Span(found.s_starts_on, found.s_ends_on),
                municipalities=tuple(found.municipalities),
                target_groups=tuple(found.target_groups),
            )
            if found.s_programme_id
            else None
        ),
    )


_REACH = text(
    "SELECT p.starts_on AS p_starts_on, p.ends_on AS p_ends_on, s.programme_id AS s_programme_id,"
    " s.starts_on AS s_starts_on, s.ends_on AS s_ends_on, s.municipalities, s.target_groups"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN catalogue_programme p ON p.id = :programme"
    " LEFT JOIN catalogue_subproject s ON s.id = :subproject"
)
