"""The figures report's reads: every figure of one programme in one pass of SQL, its breakdowns in a second, the
targets against their figures, the companies recruited; suppressed before anything leaves the service.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.catalogue import targets_of
from services.reporting.figures import BY_ID, COMPLETE, CR04_READINGS, FIGURES
from services.reporting.suppression import suppress, suppress_table
from services.reporting.tables import CatalogueProgramme

Dimension = Literal["subproject_id", "municipality", "target_group", "gender", "age_band"]
DIMENSIONS: tuple[Dimension, ...] = ("subproject_id", "municipality", "target_group", "gender", "age_band")
PeriodBy = Literal["entry", "leaving"]
_COUNTS = ", ".join(f'count(*) FILTER (WHERE {f.where}) AS "{f.id}"' for f in FIGURES)
_FROM = "FROM participant_progress p LEFT JOIN catalogue_programme s ON s.id = p.programme_id"


@dataclass(frozen=True)
class Selection:
    """Which participants a report counts: a programme, a period of entry or leaving, a sub-project, a municipality."""

    programme_id: str
    period_by: PeriodBy = "entry"
    start: date | None = None
    end: date | None = None
    subproject_id: str | None = None
    municipality: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """The SQL condition and its parameters."""
        column = "p.entered_on" if self.period_by == "entry" else "p.left_on"
        conditions = ["p.programme_id = :programme"]
        params: dict[str, Any] = {"programme": self.programme_id}
        for name, value, condition in (
            ("start", self.start, f"{column} >= :start"),
            ("end", self.end, f"{column} <= :end"),
            ("subproject", self.subproject_id, "p.subproject_id = :subproject"),
            ("municipality", self.municipality, "p.municipality = :municipality"),
        ):
            if value is not None:
                conditions.append(condition)
                params[name] = value
        return " AND ".join(conditions), params


def half_year(ending: str) -> tuple[date, date]:
    """A Danish reporting half-year by the month it ends: "2026-02" is 1 Sep 2025 - 28 Feb 2026, "2026-08" 1 Mar -
    31 Aug 2026."""
    year, month = (int(part) for part in ending.split("-"))
    if month == 2:
        return date(year - 1, 9, 1), date(year, 2, monthrange(year, 2)[1])
    if month == 8:
        return date(year, 3, 1), date(year, 8, 31)
    raise ValueError("a half-year ends in February or August")


def _cells(counts: dict[str, int], min_cell: int) -> dict[str, Any]:
    table = suppress_table(counts, min_cell)
    return {"cells": {k: c.value for k, c in table.cells.items()}, "total": table.total.value}


async def figures_report(session: AsyncSession, selection: Selection, *, min_cell: int) -> dict[str, Any]:
    """Every figure of the selection with its breakdowns and definition, the targets, companies and freshness."""
    where, params = selection.where()
    totals = (await session.exec(text(f"SELECT {_COUNTS} {_FROM} WHERE {where}"), params=params)).mappings().one()  # type: ignore[call-overload]
    groupings = ", ".join(f"GROUPING(p.{d}) AS g_{d}" for d in DIMENSIONS)
    sets = ", ".join(f"(p.{d})" for d in DIMENSIONS)
    breakdown_sql = (
        f"SELECT {groupings}, {', '.join(f'p.{d}' for d in DIMENSIONS)}, {_COUNTS} {_FROM}"
        f" WHERE {where} AND {COMPLETE} GROUP BY GROUPING SETS ({sets})"
    )
    by_dimension: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for row in (await session.exec(text(breakdown_sql), params=params)).mappings().all():  # type: ignore[call-overload]
        dimension = next(d for d in DIMENSIONS if row[f"g_{d}"] == 0)
        by_dimension[dimension].append(row)
    figures = []
    for figure in FIGURES:
        breakdowns = {
            d: _cells({str(r[d]): int(r[figure.id]) for r in rows}, min_cell) for d, rows in by_dimension.items()
        }
        figures.append(
            {
                "id": figure.id,
                "group": figure.group,
                "definition": {"da": figure.da, "en": figure.en},
                "value": suppress(int(totals[figure.id]), min_cell).value,
                "breakdowns": breakdowns,
            }
        )
    programme = await session.get(CatalogueProgramme, selection.programme_id)
    on = selection.end or date.today()
    targets = [
        {
            "target_id": t.target_id,
            "figure": t.figure,
            "subproject_id": t.subproject_id,
            "number": t.number,
            "value": suppress(int(totals[t.figure]), min_cell).value if t.figure in BY_ID else None,
        }
        for t in await targets_of(session, selection.programme_id, on)
        if t.subproject_id is None or t.subproject_id == selection.subproject_id
    ]
    last: datetime | None = (
        await session.exec(text(f"SELECT max(p.last_event_at) {_FROM} WHERE {where}"), params=params)  # type: ignore[call-overload]
    ).scalar()
    reading = programme.cr04_reading if programme else "every-participant"
    return {
        "programme_id": selection.programme_id,
        "selection": {
            "period_by": selection.period_by,
            "from": selection.start,
            "to": selection.end,
            "subproject_id": selection.subproject_id,
            "municipality": selection.municipality,
        },
        "min_cell": min_cell,
        "cr04_reading": {"id": reading, "da": CR04_READINGS[reading][0], "en": CR04_READINGS[reading][1]},
        "figures": figures,
        "targets": targets,
        "companies_recruited": await _companies(session, selection),
        "last_event_at": last,
    }


async def _companies(session: AsyncSession, selection: Selection) -> dict[str, int]:
    """Partner companies recruited, by kind (of the sub-project asked for, if one is); firms are not people, so the
    counts are shown as they are."""
    query = "SELECT kind, count(*) AS n FROM catalogue_company WHERE programme_id = :programme"
    params: dict[str, Any] = {"programme": selection.programme_id}
    if selection.subproject_id is not None:
        query += " AND subproject_ids @> CAST(:sub AS jsonb)"
        params["sub"] = f'["{selection.subproject_id}"]'
    if selection.end is not None:
        query += " AND recruited_on <= :end"
        params["end"] = selection.end
    rows = (await session.exec(text(query + " GROUP BY kind"), params=params)).mappings().all()  # type: ignore[call-overload]
    found = {str(r["kind"]): int(r["n"]) for r in rows}
    return {kind: found.get(kind, 0) for kind in ("commercial", "social-economy")}
