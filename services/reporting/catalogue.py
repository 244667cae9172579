"""Reporting's read model of the catalogue (its reads, such as the targets in force on a date, are in queries.py).

Each record on the compacted catalogue topic is an entry's whole current state, so a handler replaces the row by
id (a target's steps with it). Nothing personal and no contact data is kept: a sub-project's coordinator email
travels for follow-up, not for reporting.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting import domain
from services.reporting.tables import (
    CatalogueCompany,
    CatalogueCourse,
    CatalogueProgramme,
    CatalogueSubproject,
    CatalogueTarget,
    CatalogueTargetStep,
)
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent


async def on_programme_published(session: AsyncSession, fact: contracts.ProgrammePublished, _event: CloudEvent) -> None:
    """Keep the programme, its settings flattened into columns."""
    await session.merge(
        CatalogueProgramme(
            id=fact.programme_id,
            title=fact.title,
            operator=fact.operator,
            region=fact.region,
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            fund=fact.fund,
            **fact.settings.model_dump(),
        )
    )


async def on_target_published(session: AsyncSession, fact: contracts.TargetPublished, _event: CloudEvent) -> None:
    """Keep the target and replace its steps with the ones the record carries."""
    await session.merge(
        CatalogueTarget(
            id=fact.target_id, programme_id=fact.programme_id, subproject_id=fact.subproject_id, figure=fact.figure
        )
    )
    await session.exec(delete(CatalogueTargetStep).where(col(CatalogueTargetStep.target_id) == fact.target_id))
    steps = domain.one_step_a_day(domain.Step(s.number, s.effective_on) for s in fact.steps)
    session.add_all(
        CatalogueTargetStep(target_id=fact.target_id, effective_on=s.effective_on, number=s.number) for s in steps
    )


async def on_subproject_published(
    session: AsyncSession, fact: contracts.SubprojectPublished, _event: CloudEvent
) -> None:
    """Keep the sub-project, without its coordinator's email."""
    await session.merge(
        CatalogueSubproject(
            id=fact.subproject_id,
            programme_id=fact.programme_id,
            title=fact.title,
            provider_kind=fact.provider_kind,
            municipalities=list(fact.municipalities),
            target_groups=list(fact.target_groups),
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            scope=fact.scope,
            illustrative=fact.illustrative,
        )
    )


async def on_company_published(session: AsyncSession, fact: contracts.CompanyPublished, _event: CloudEvent) -> None:
    """Keep the partner company as it travels: pseudonymous."""
    await session.merge(
        CatalogueCompany(
            id=fact.company_id,
            programme_id=fact.programme_id,
            kind=fact.kind,
            recruited_on=fact.recruited_on,
            subproject_ids=list(fact.subproject_ids),
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
    contracts.TargetPublished: on_target_published,
    contracts.SubprojectPublished: on_subproject_published,
    contracts.CompanyPublished: on_company_published,
    contracts.CoursePublished: on_course_published,
}
