"""The figures report's reads: every figure of one programme in one pass of SQL, its breakdowns in a second, the
targets against their figures, the companies recruited; suppressed before anything leaves the service.
"""

from __future__ import annotations

import pickle
from calendar import monthrange
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.companies import COMPANIES, COMPANY_DEFINITIONS, COMPANY_KINDS, companies_recruited
from services.reporting.disclosure import ALL, WHOLE, Period, TrendStep, by_half_year, half_year_of, trend_step
from services.reporting.disclosure import Counts as DisclosedCounts
from services.reporting.figure_cube import BREAKDOWNS, SUMS, TRENDS_TABLE
from services.reporting.figures import AGE_BAND, BY_ID, COMPLETE, CR04_READINGS, FIGURES, TRENDS, reported_for
from services.reporting.protection import every_period, protected
from services.reporting.queries import targets_of
from services.reporting.suppression import AUDIT_SECONDS, Cell, suppress
from services.reporting.tables import CatalogueProgramme
from shared.db import run
from shared.figure_labels import label

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
        return _where(
            {"programme": ("p.programme_id = :programme", self.programme_id)},
            start=(f"{column} >= :start", self.start),
            end=(f"{column} <= :end", self.end),
            subproject=("p.subproject_id = :subproject", self.subproject_id),
            municipality=("p.municipality = :municipality", self.municipality),
        )


def _where(fixed: dict[str, tuple[str, Any]], **optional: tuple[str, Any]) -> tuple[str, dict[str, Any]]:
    """The conditions joined with AND, each with its parameter: every fixed one, and each optional one whose value is
    given (the conditions are fixed text; the values are bound)."""
    given = fixed | {name: (condition, value) for name, (condition, value) in optional.items() if value is not None}
    return " AND ".join(condition for condition, _ in given.values()), {n: v for n, (_, v) in given.items()}


Address = tuple[str, str, str]  # (figure, dimension or "total", category or ALL)


async def _protected(
    session: AsyncSession,
    selection: Selection,
    counts: Counts,
    programme: CatalogueProgramme | None,
    min_cell: int,
    reports: dict[Period, DisclosedCounts] | None = None,
    audit_seconds: float = AUDIT_SECONDS,
) -> tuple[dict[Address, Cell], dict[str, dict[str, object]], TrendStep]:
    """Every count of the report and its series (by month, or half-year for a long programme) as shown, and their
    step: suppressed together with every other report and series of the same programme, sub-project and
    municipality (services.reporting.protection), so that nothing set beside it gives a hidden count away."""
    totals, by_dimension, _ = counts
    targets = await targets_of(session, selection.programme_id, selection.end or date.today())
    period: Period = WHOLE if selection.start is None else (selection.period_by, selection.start.isoformat())
    own = DisclosedCounts(
        {f.id: int(totals[f.id]) for f in FIGURES},
        {d: {str(r[d]): {f.id: int(r[f.id]) for f in FIGURES} for r in rows} for d, rows in by_dimension.items()},
    )
    whole = Selection(
        selection.programme_id, subproject_id=selection.subproject_id, municipality=selection.municipality
    )
    months: dict[str, dict[str, int]] = {series: {} for series in TRENDS}
    for row in await (_months_ahead if _in_whole_months(whole) else _months_over_rows)(session, whole):
        months[str(row["series"])][str(row["month"])] = int(row["n"])
    step = trend_step(months)
    if step == "half-year":
        months = {series: by_half_year(found) for series, found in months.items()}
    built, shown = await protected(
        session,
        programme_id=selection.programme_id,
        subproject_id=selection.subproject_id,
        municipality=selection.municipality,
        own=(period, own),
        months={series: dict(sorted(found.items())) for series, found in months.items()},
        programme=programme,
        target_figures={t.figure for t in targets if t.subproject_id in (None, selection.subproject_id)},
        min_cell=min_cell,
        reports=reports,
        audit_seconds=audit_seconds,
    )
    values: dict[Address, int] = {}
    for figure in FIGURES:
        values[(figure.id, "total", ALL)] = int(totals[figure.id])
        for dimension, rows in by_dimension.items():
            for row in rows:
                values[(figure.id, dimension, str(row[dimension]))] = int(row[figure.id])
            values[(figure.id, dimension, ALL)] = sum(int(row[figure.id]) for row in rows)
    marks = {}
    for address, value in values.items():
        index = built.at.get((period, *address))
        # a period with nobody in it is in no kept count: its zeros are shown as they are
        marks[address] = shown.marks[index] if index is not None else suppress(value, min_cell)
    first = selection.start.isoformat()[:7] if selection.start else ""
    window = (
        half_year_of(first)[:7] if first and step == "half-year" else first,  # the half-year the period starts in
        selection.end.isoformat()[:7] if selection.end else "9",
    )
    trends: dict[str, dict[str, object]] = {
        series: {
            month: shown.marks[built.months[(series, month)]].value
            for month in sorted(m for s, m in built.months if s == series)
            if window[0] <= month <= window[1]
        }
        for series in TRENDS
    }
    return marks, trends, step


def _in_whole_half_years(selection: Selection) -> bool:
    """True if the period starts and ends with Danish half-years (or is open): the counts kept answer it."""
    starts = selection.start is None or (selection.start.month, selection.start.day) in ((3, 1), (9, 1))
    ends = selection.end is None or (
        (selection.end.month, selection.end.day) in ((8, 31), (2, monthrange(selection.end.year, 2)[1]))
    )
    return starts and ends


def _counted_ahead(selection: Selection) -> tuple[str, dict[str, Any]]:
    """The condition on the kept counts' cells and its parameters (services.reporting.figure_cube)."""
    return _where(
        {
            "programme": ("c.programme_id = :programme", selection.programme_id),
            "by": ("c.period_by = :by", selection.period_by),
        },
        start=("c.half_year >= :start", selection.start),
        end=("c.half_year <= :end", selection.end),
        subproject=("c.subproject_id = :subproject", selection.subproject_id),
        municipality=("c.municipality = :municipality", selection.municipality),
    )


Counts = tuple[Any, dict[str, list[Any]], datetime | None]
_BREAKDOWNS = ", ".join(f"'{d}'" for d in BREAKDOWNS)


async def _summed_ahead(session: AsyncSession, selection: Selection) -> Counts:
    """The totals, breakdowns and newest fact summed from the kept counts: thousands of cells, not every row."""
    where, params = _counted_ahead(selection)
    cells = f"FROM figure_count c WHERE {where}"
    whole = f"SELECT {SUMS} {cells} AND c.dimension = 'all'"
    totals = (await run(session, text(whole), params)).mappings().one()
    parts = [
        f"SELECT '{d}' AS dimension, c.{d} AS category, {SUMS} {cells} AND c.dimension = 'all' AND c.complete"
        f" GROUP BY c.{d} HAVING sum(c.n) > 0"
        for d in ("subproject_id", "municipality")
    ]
    parts.append(
        f"SELECT c.dimension, c.category, {SUMS} {cells} AND c.dimension IN ({_BREAKDOWNS})"
        " GROUP BY c.dimension, c.category HAVING sum(c.n) > 0"
    )
    by_dimension: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for row in (await run(session, text(" UNION ALL ".join(parts)), params)).mappings().all():
        dimension = str(row["dimension"])
        by_dimension[dimension].append({**row, dimension: row["category"]})
    return totals, by_dimension, await _newest_ahead(session, selection)


async def _newest_ahead(session: AsyncSession, selection: Selection) -> datetime | None:
    """The newest fact the kept counts of the selection hold."""
    where, params = _counted_ahead(selection)
    cells = f"FROM figure_count c WHERE {where}"
    newest = f"SELECT max(c.last_event_at) {cells} AND c.dimension = 'all' AND c.n > 0"
    last: datetime | None = (await run(session, text(newest), params)).scalar()
    return last


def _one_period(selection: Selection) -> Period | None:
    """The period of the kept counts' reports a selection is (the programme to date or one Danish half-year)."""
    start, end = selection.start, selection.end
    if start is None and end is None:
        return WHOLE
    if start is None or end is None or (start.month, start.day) not in ((3, 1), (9, 1)):
        return None
    last_month = date(start.year + (start.month == 9), 8 if start.month == 3 else 2, 1)
    if end != date(last_month.year, last_month.month, monthrange(last_month.year, last_month.month)[1]):
        return None
    return (selection.period_by, start.isoformat())


def _as_rows(counts: DisclosedCounts) -> tuple[dict[str, int], dict[str, list[Any]]]:
    """One period's counts as the report's totals and breakdown rows."""
    zero = {f.id: 0 for f in FIGURES}
    by_dimension: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for dimension, cells in counts.breakdowns.items():
        by_dimension[dimension] = [{**zero, **figures, dimension: key} for key, figures in cells.items()]
    return {**zero, **counts.totals}, by_dimension


async def _counted_over_rows(session: AsyncSession, selection: Selection) -> Counts:
    """The totals, breakdowns and newest fact counted over the participants' rows, for any period."""
    where, params = selection.where()
    totals = (await run(session, text(f"SELECT {_COUNTS} {_FROM} WHERE {where}"), params)).mappings().one()
    column = {d: AGE_BAND if d == "age_band" else f"p.{d}" for d in DIMENSIONS}  # the programme's fund's bands
    groupings = ", ".join(f"GROUPING({column[d]}) AS g_{d}" for d in DIMENSIONS)
    sets = ", ".join(f"({column[d]})" for d in DIMENSIONS)
    breakdown_sql = (
        f"SELECT {groupings}, {', '.join(f'{column[d]} AS {d}' for d in DIMENSIONS)}, {_COUNTS} {_FROM}"
        f" WHERE {where} AND {COMPLETE} GROUP BY GROUPING SETS ({sets})"
    )
    by_dimension: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for row in (await run(session, text(breakdown_sql), params)).mappings().all():
        dimension = next(d for d in DIMENSIONS if row[f"g_{d}"] == 0)
        by_dimension[dimension].append(row)
    newest = f"SELECT max(p.last_event_at) {_FROM} WHERE {where}"
    last: datetime | None = (await run(session, text(newest), params)).scalar()
    return totals, by_dimension, last


async def _counts(session: AsyncSession, selection: Selection) -> Counts:
    """The kept counts where the period is in whole half-years (or open), else the rows counted."""
    if _in_whole_half_years(selection):
        return await _summed_ahead(session, selection)
    return await _counted_over_rows(session, selection)


# Reports already made, by what they were made of: the selection, min_cell, the day (targets in force), and the
# database's snapshot (its oldest and next transaction and those in progress). Two identical snapshots see the very
# same rows, and any commit since changes the snapshot, so a report is answered from here only while nothing at all
# has been written; the snapshot is read before the counts (a commit in between makes a key that never recurs).
_MADE: OrderedDict[tuple[Selection, int, date, str], dict[str, Any]] = OrderedDict()
KEEP_REPORTS = 32


async def figures_report(
    session: AsyncSession, selection: Selection, *, min_cell: int, audit_seconds: float = AUDIT_SECONDS
) -> dict[str, Any]:
    """Every figure of the selection with its breakdowns and definition, the targets, companies and freshness; the
    same again while the database has not changed."""
    read = "SELECT pg_current_snapshot()::text AS snapshot, pg_current_xact_id_if_assigned() IS NULL AS clean"
    now = (await run(session, text(read))).mappings().one()
    key = (selection, min_cell, date.today(), str(now["snapshot"]))
    if now["clean"] and (made := _MADE.get(key)) is not None:  # a transaction that wrote sees what no one else does
        _MADE.move_to_end(key)
        return _copied(made)
    report = await _made(session, selection, min_cell=min_cell, audit_seconds=audit_seconds)
    if now["clean"]:
        _MADE[key] = _copied(report)
        while len(_MADE) > KEEP_REPORTS:
            _MADE.popitem(last=False)
    return report


def _copied(report: dict[str, Any]) -> dict[str, Any]:
    """A copy no caller's change reaches: through pickle, three times faster than deepcopy for a report's plain
    dicts, lists, numbers and dates."""
    copied: dict[str, Any] = pickle.loads(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
    return copied


def forget() -> None:
    """Remember no report made (a cold start)."""
    _MADE.clear()


async def _made(session: AsyncSession, selection: Selection, *, min_cell: int, audit_seconds: float) -> dict[str, Any]:
    """The report, made."""
    programme = await session.get(CatalogueProgramme, selection.programme_id)
    reports = None
    if (period := _one_period(selection)) is not None:  # its counts are among every period's, read once for both
        reports = await every_period(session, selection.programme_id, selection.subproject_id, selection.municipality)
        totals, by_dimension = _as_rows(reports.get(period, DisclosedCounts({}, {})))
        last = await _newest_ahead(session, selection)
    else:
        totals, by_dimension, last = await _counts(session, selection)
    marks, trends, step = await _protected(
        session, selection, (totals, by_dimension, last), programme, min_cell, reports, audit_seconds
    )
    figures = [
        {
            "id": figure.id,
            "group": figure.group,
            "label": {"da": label(figure.id, "da"), "en": label(figure.id, "en")},
            "definition": {"da": figure.da, "en": figure.en},
            "value": marks[(figure.id, "total", ALL)].value,
            "breakdowns": {
                d: {
                    "cells": {str(r[d]): marks[(figure.id, d, str(r[d]))].value for r in rows},
                    "total": marks[(figure.id, d, ALL)].value,
                }
                for d, rows in by_dimension.items()
            },
        }
        # the fund's indicators (and the programme's own figures); all of them for a programme not in the catalogue
        for figure in (reported_for(programme.fund, programme.register_results) if programme is not None else FIGURES)
    ]
    on = selection.end or date.today()
    companies = await companies_recruited(
        session, selection.programme_id, subproject_id=selection.subproject_id, until=selection.end
    )
    targets = [
        {
            "target_id": t.target_id,
            "figure": t.figure,
            "label": {"da": label(t.figure, "da"), "en": label(t.figure, "en")},
            "definition": COMPANY_DEFINITIONS.get(t.figure) or {"da": BY_ID[t.figure].da, "en": BY_ID[t.figure].en},
            "subproject_id": t.subproject_id,
            "number": t.number,
            # firms are counted as they are (not people); every other target is measured against its figure
            "value": companies[t.figure] if t.figure in companies else marks[(t.figure, "total", ALL)].value,
        }
        for t in await targets_of(session, selection.programme_id, on)
        if t.subproject_id is None or t.subproject_id == selection.subproject_id
    ]
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
        "register_results": programme.register_results if programme else "verify",  # what the register decides
        "figures": figures,
        "targets": targets,
        "companies_recruited": {kind: companies[f"{COMPANIES}{kind}"] for kind in COMPANY_KINDS},
        "trends": trends,
        "trend_step": step,  # "month", or "half-year" (each keyed by its first month) for a long programme
        "last_event_at": last,
    }


async def monthly_trends(session: AsyncSession, selection: Selection, *, min_cell: int) -> dict[str, dict[str, object]]:
    """People per calendar month in each series (referred, started, left, employed upon leaving), suppressed with the
    report of the same selection (as the report's "trends")."""
    trends: dict[str, dict[str, object]] = (await figures_report(session, selection, min_cell=min_cell))["trends"]
    return trends


def _in_whole_months(selection: Selection) -> bool:
    """True if the period starts on a first and ends on a last day of a month (or is open)."""
    starts = selection.start is None or selection.start.day == 1
    ends = selection.end is None or selection.end.day == monthrange(selection.end.year, selection.end.month)[1]
    return starts and ends


async def _months_ahead(session: AsyncSession, selection: Selection) -> Sequence[Any]:
    """Each series' months summed from the kept counts (services.reporting.figure_cube)."""
    where, params = _where(
        {"programme": ("c.programme_id = :programme", selection.programme_id)},
        start=("c.month >= :start", selection.start),
        end=("c.month <= :end", selection.end),
        subproject=("c.subproject_id = :subproject", selection.subproject_id),
        municipality=("c.municipality = :municipality", selection.municipality),
    )
    months = f"to_char(c.month, 'YYYY-MM') AS month, sum(c.n) AS n FROM {TRENDS_TABLE} c WHERE {where}"
    query = text(f"SELECT c.series, {months} GROUP BY 1, 2 HAVING sum(c.n) > 0")
    return (await run(session, query, params)).mappings().all()


async def _months_over_rows(session: AsyncSession, selection: Selection) -> Sequence[Any]:
    """Each series' months counted over the participants' rows, for any period."""
    where, params = Selection(
        selection.programme_id, subproject_id=selection.subproject_id, municipality=selection.municipality
    ).where()
    parts = []
    for series, (column, condition) in TRENDS.items():
        window = "".join(
            f" AND {column} {op} :{name}"
            for name, op, value in (("start", ">=", selection.start), ("end", "<=", selection.end))
            if value is not None
        )
        parts.append(
            f"SELECT '{series}' AS series, to_char({column}, 'YYYY-MM') AS month, count(*) AS n {_FROM}"
            f" WHERE {where} AND {column} IS NOT NULL AND {condition}{window} GROUP BY 2"
        )
    params |= {k: v for k, v in (("start", selection.start), ("end", selection.end)) if v is not None}
    return (await run(session, text(" UNION ALL ".join(parts)), params)).mappings().all()
