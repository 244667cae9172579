"""The report's reads: counts per programme from the projection, suppressed before they reach the operator."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.domain import COLUMNS
from services.reporting.suppression import suppress

COUNTS = text(
    """
SELECT programme_id,
       count(*) FILTER (WHERE referred) AS referred,
       count(*) FILTER (WHERE enrolled) AS enrolled,
       count(*) FILTER (WHERE completed) AS completed,
       count(*) FILTER (WHERE employed_upon_leaving) AS employed_upon_leaving,
       count(*) FILTER (WHERE employed_six_months) AS employed_six_months
FROM participant_progress WHERE programme_id = ANY(:programmes)
GROUP BY programme_id ORDER BY programme_id
"""
)


async def programme_counts(session: AsyncSession, *, min_cell: int, programmes: Collection[str]) -> dict[str, object]:
    """The counts of the programmes asked for (people, each once), suppressed, and how fresh they are."""
    rows = (await session.exec(COUNTS, params={"programmes": sorted(programmes)})).mappings().all()  # type: ignore[call-overload]
    last: datetime | None = (await session.exec(text("SELECT max(last_event_at) FROM participant_progress"))).scalar()  # type: ignore[call-overload]
    return {
        "min_cell": min_cell,
        "last_event_at": last,
        "programmes": [
            {"programme_id": row["programme_id"], "counts": {c: suppress(int(row[c]), min_cell).value for c in COLUMNS}}
            for row in rows
        ],
    }
