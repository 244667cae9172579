"""Counts per programme from the projection, with small cells suppressed before they reach the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

COLUMNS = ("referred", "enrolled", "completed", "employed_upon_leaving", "employed_six_months")
COUNTS = text(
    """
SELECT programme_id,
       count(*) FILTER (WHERE referred) AS referred,
       count(*) FILTER (WHERE enrolled) AS enrolled,
       count(*) FILTER (WHERE completed) AS completed,
       count(*) FILTER (WHERE employed_upon_leaving) AS employed_upon_leaving,
       count(*) FILTER (WHERE employed_six_months) AS employed_six_months
FROM participant_progress WHERE programme_id IS NOT NULL
GROUP BY programme_id ORDER BY programme_id
"""
)


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, or '<N' when it could identify a person."""

    value: int | str
    suppressed: bool


def suppress(count: int, min_cell: int) -> Cell:
    """The Danish rule: a count from 1 to min_cell-1 is shown as '<min_cell'; zero is shown."""
    if 0 < count < min_cell:
        return Cell(f"<{min_cell}", True)
    return Cell(count, False)


async def programme_counts(session: AsyncSession, *, min_cell: int) -> dict[str, Any]:
    """Every programme's counts (people, each once), suppressed, and how fresh they are."""
    rows = (await session.exec(COUNTS)).mappings().all()  # type: ignore[call-overload]
    last: datetime | None = (await session.exec(text("SELECT max(last_event_at) FROM participant_progress"))).scalar()  # type: ignore[call-overload]
    return {
        "min_cell": min_cell,
        "last_event_at": last.isoformat() if last else None,
        "programmes": [
            {"programme_id": row["programme_id"], "counts": {c: suppress(int(row[c]), min_cell).value for c in COLUMNS}}
            for row in rows
        ],
    }
