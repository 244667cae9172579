"""Intake's read model of the catalogue: programmes, sub-projects and courses as enrolment last published them.

Each record on the compacted catalogue topic is an entry's whole current state, so a handler replaces the row by
id. Intake keeps only what it will check referrals against; targets and partner companies are not its business.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.catalogue.domain import CHANGED
from services.intake.tables import CatalogueCourse, CatalogueProgramme, CatalogueSubproject
from shared import contracts
from shared.consumer import Handlers
from shared.db import run
from shared.envelope import CloudEvent
from shared.logging import get_logger

log = get_logger(__name__)


async def _announce(session: AsyncSession) -> None:
    await run(session, text("SELECT pg_notify(:channel, '')"), {"channel": CHANGED})


async def on_programme_published(session: AsyncSession, fact: contracts.ProgrammePublished, _event: CloudEvent) -> None:
    """Keep the programme's period and fund."""
    await session.merge(
        CatalogueProgramme(
            id=fact.programme_id, title=fact.title, starts_on=fact.starts_on, ends_on=fact.ends_on, fund=fact.fund
        )
    )
    await _announce(session)


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
    await _announce(session)


async def on_course_published(session: AsyncSession, fact: contracts.CoursePublished, _event: CloudEvent) -> None:
    """Keep the course's sub-project, municipality, dates, capacity, title and place."""
    await session.merge(
        CatalogueCourse(
            id=fact.course_id,
            programme_id=fact.programme_id,
            subproject_id=fact.subproject_id,
            municipality=fact.municipality,
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            capacity=fact.capacity,
            title=fact.title,
            location=fact.location,
        )
    )
    await _announce(session)


HANDLERS: Handlers = {
    contracts.ProgrammePublished: on_programme_published,
    contracts.SubprojectPublished: on_subproject_published,
    contracts.CoursePublished: on_course_published,
}
