"""The report's reads: counts per programme from the projection, suppressed before they reach the operator, and the
catalogue's targets with the number in force on a date."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting import domain
from services.reporting.domain import COLUMNS
from services.reporting.figures import EMPLOYED_SIX_MONTHS
from services.reporting.suppression import suppress
from services.reporting.tables import CatalogueTarget, CatalogueTargetStep
from shared.db import run

# employed six months after as the figures count it: the register's finding where the programme lets it decide
COUNTS = text(
    f"""
SELECT p.programme_id,
       count(*) FILTER (WHERE p.referred) AS referred,
       count(*) FILTER (WHERE p.enrolled) AS enrolled,
       count(*) FILTER (WHERE p.completed) AS completed,
       count(*) FILTER (WHERE p.employed_upon_leaving) AS employed_upon_leaving,
       count(*) FILTER (WHERE {EMPLOYED_SIX_MONTHS}) AS employed_six_months
FROM participant_progress p LEFT JOIN catalogue_programme s ON s.id = p.programme_id
WHERE p.programme_id = ANY(:programmes)
GROUP BY p.programme_id ORDER BY p.programme_id
"""  # noqa: S608 - built from the figures' constant definitions, never from input
)
NEWEST = text("SELECT max(last_event_at) FROM participant_progress")


async def programme_counts(session: AsyncSession, *, min_cell: int, programmes: Collection[str]) -> dict[str, object]:
    """The counts of the programmes asked for (people, each once), suppressed, and how fresh they are."""
    rows = (await run(session, COUNTS, {"programmes": sorted(programmes)})).mappings().all()
    last: datetime | None = (await run(session, NEWEST)).scalar()
    return {
        "min_cell": min_cell,
        "last_event_at": last,
        "programmes": [
            {"programme_id": row["programme_id"], "counts": {c: suppress(int(row[c]), min_cell).value for c in COLUMNS}}
            for row in rows
        ],
    }


@dataclass(frozen=True)
class TargetInForce:
    """A target with the number in force on a date (None before its first step)."""

    target_id: str
    subproject_id: str | None
    figure: str
    number: int | None


async def target_in_force(session: AsyncSession, target_id: str, on: date) -> int | None:
    """The target's number in force on a date; None before its first step, or for a target not published."""
    query = select(CatalogueTargetStep).where(CatalogueTargetStep.target_id == target_id)
    steps = (await session.exec(query)).all()
    return domain.number_in_force((domain.Step(s.number, s.effective_on) for s in steps), on)


async def targets_of(session: AsyncSession, programme_id: str, on: date) -> list[TargetInForce]:
    """Every target of a programme, by id, with its figure and the number in force on a date."""
    query = (
        select(CatalogueTarget, CatalogueTargetStep)
        .join(CatalogueTargetStep, col(CatalogueTargetStep.target_id) == col(CatalogueTarget.id))
        .where(CatalogueTarget.programme_id == programme_id)
        .order_by(col(CatalogueTarget.id))
    )
    targets: dict[str, CatalogueTarget] = {}
    steps: dict[str, list[domain.Step]] = {}
    for target, step in (await session.exec(query)).all():
        targets[target.id] = target
        steps.setdefault(target.id, []).append(domain.Step(step.number, step.effective_on))
    return [
        TargetInForce(t.id, t.subproject_id, t.figure, domain.number_in_force(steps[t.id], on))
        for t in targets.values()
    ]
