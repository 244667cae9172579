"""Follow-up's read model of the catalogue: each programme's limit for late results and settings of employment,
and each sub-project's coordinator, whom overdue checks are escalated to."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup.tables import CatalogueProgramme, CatalogueSubproject
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent


async def on_programme_published(session: AsyncSession, fact: contracts.ProgrammePublished, _event: CloudEvent) -> None:
    """Keep how long a six-month result may be late, whether a flex-job or wage subsidy is employment, and what a
    register's finding does."""
    await session.merge(
        CatalogueProgramme(
            id=fact.programme_id,
            late_result_days=fact.settings.six_month_result_grace_days,
            flex_job_counts_as_employment=fact.settings.flex_job_counts_as_employment,
            wage_subsidy_counts_as_employment=fact.settings.wage_subsidy_counts_as_employment,
            register_results=fact.settings.register_results,
        )
    )


async def on_subproject_published(
    session: AsyncSession, fact: contracts.SubprojectPublished, _event: CloudEvent
) -> None:
    """Keep the sub-project's coordinator."""
    await session.merge(
        CatalogueSubproject(
            id=fact.subproject_id, programme_id=fact.programme_id, coordinator_email=str(fact.coordinator_email)
        )
    )


HANDLERS: Handlers = {
    contracts.ProgrammePublished: on_programme_published,
    contracts.SubprojectPublished: on_subproject_published,
}
