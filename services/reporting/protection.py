"""The counts of everything the operator can be shown for a selection, read from the counts kept ahead
(services.reporting.figure_cube), and suppressed together (services.reporting.disclosure): the reports of the
programme to date and of every Danish half-year by entry and by leaving, and the monthly series."""

from __future__ import annotations

import gc
import hashlib
import pickle
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import RowMapping, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.disclosure import (
    UNDATED,
    WHOLE,
    Counts,
    Period,
    Publication,
    Relations,
    fixed_twins,
    publication,
)
from services.reporting.figure_cube import BREAKDOWNS, SUMS
from services.reporting.figure_relations import (
    HEADLINE,
    NESTED,
    SERIES,
    contained,
    identities,
    rest_contained,
    twins,
)
from services.reporting.figures import FIGURES, reported_for
from services.reporting.suppression import AUDIT_SECONDS, Protected, protect
from services.reporting.tables import CatalogueProgramme
from shared.db import run

_FIGURE_IDS = [f.id for f in FIGURES]
_BREAKDOWNS = ", ".join(f"'{d}'" for d in BREAKDOWNS)


def relations_of(
    *,
    flex_job_is_employment: bool,
    wage_subsidy_is_employment: bool,
    cr04_reading: str,
    target_figures: set[str],
    register_results: str = "verify",
) -> Relations:
    """What a reader knows of how a programme's figures relate (its settings), and which it hands in (never hidden)."""
    known = Relations(
        identities=identities(
            flex_job_is_employment=flex_job_is_employment, wage_subsidy_is_employment=wage_subsidy_is_employment
        ),
        twins=twins(cr04_reading, register_results),
        nested=NESTED,
        series=SERIES,
        headline=frozenset({*HEADLINE, *target_figures}),
        contained=contained(cr04_reading),
        rest_contained=rest_contained(cr04_reading),
    )
    return replace(known, headline=fixed_twins(known))


def _slice(programme_id: str, subproject_id: str | None, municipality: str | None) -> tuple[str, dict[str, Any]]:
    where, params = "c.programme_id = :programme", {"programme": programme_id}
    for column, value in (("subproject_id", subproject_id), ("municipality", municipality)):
        if value is not None:
            where += f" AND c.{column} = :{column}"
            params[column] = value
    return where, params


async def every_period(
    session: AsyncSession, programme_id: str, subproject_id: str | None, municipality: str | None
) -> dict[Period, Counts]:
    """The counts of the programme to date and of every half-year by entry and by leaving (and of the people with
    no such date yet), from the counts kept ahead."""
    where, params = _slice(programme_id, subproject_id, municipality)
    cells = f"FROM figure_count c WHERE {where}"
    period = "c.period_by, c.half_year"
    parts = [
        f"SELECT {period}, 'total' AS dimension, '' AS category, {SUMS} {cells} AND c.dimension = 'all' GROUP BY 1, 2"
    ]
    parts += [
        f"SELECT {period}, '{d}', c.{d}, {SUMS} {cells} AND c.dimension = 'all' AND c.complete"
        " GROUP BY 1, 2, 4 HAVING sum(c.n) > 0"
        for d in ("subproject_id", "municipality")
    ]
    parts.append(
        f"SELECT {period}, c.dimension, c.category, {SUMS} {cells} AND c.dimension IN ({_BREAKDOWNS})"
        " GROUP BY 1, 2, 3, 4 HAVING sum(c.n) > 0"
    )
    found = (await run(session, text(" UNION ALL ".join(parts)), params)).mappings().all()
    with without_cycle_collection():
        return _reports(found)


def _reports(found: Sequence[RowMapping]) -> dict[Period, Counts]:
    """Every period's counts from the rows read."""
    totals: dict[Period, dict[str, int]] = {}
    breakdowns: dict[Period, dict[str, dict[str, dict[str, int]]]] = defaultdict(dict)
    for row in found:
        first = row["half_year"]
        key: Period = (str(row["period_by"]), first.isoformat() if first is not None else UNDATED)
        counted = {f.id: int(row[f.id]) for f in FIGURES}
        if row["dimension"] == "total":
            totals[key] = counted
        else:
            breakdowns[key].setdefault(str(row["dimension"]), {})[str(row["category"])] = counted
    reports = {p: Counts(totals[p], _every_dimension(breakdowns[p])) for p in totals}
    entry = [c for p, c in reports.items() if p[0] == "entry"]
    reports[WHOLE] = Counts(_summed([c.totals for c in entry]), _every_dimension(_summed_breakdowns(entry)))
    return reports


def _every_dimension(found: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, dict[str, int]]]:
    return {d: found.get(d, {}) for d in ("subproject_id", "municipality", *BREAKDOWNS)}


def _summed(counts: list[Any]) -> dict[str, int]:
    summed = dict.fromkeys(_FIGURE_IDS, 0)
    for counted in counts:
        for figure, n in counted.items():
            summed[figure] += n
    return summed


def _summed_breakdowns(reports: list[Counts]) -> dict[str, dict[str, dict[str, int]]]:
    found: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for report in reports:
        for dimension, cells in report.breakdowns.items():
            for key, counted in cells.items():
                found[dimension][key].append(counted)
    return {d: {k: _summed(v) for k, v in cells.items()} for d, cells in found.items()}


# The protected publications last asked for, by everything they are computed from (the counts of every period, the
# series, what a reader knows, min_cell): protection is a function of these alone, so a report asked again before any
# count has changed is answered at once, and any change of a count asks for a new one.
_KEPT: OrderedDict[bytes, tuple[Publication, Protected]] = OrderedDict()
KEEP = 16


def protected_publication(
    reports: dict[Period, Counts],
    months: dict[str, dict[str, int]],
    relations: Relations,
    min_cell: int,
    audit_seconds: float = AUDIT_SECONDS,
) -> tuple[Publication, Protected]:
    """Every report and series of a selection suppressed together; the same again from memory while nothing in it
    has changed."""
    key = hashlib.blake2b(pickle.dumps((reports, months, relations, min_cell)), digest_size=20).digest()
    if (kept := _KEPT.get(key)) is not None:
        _KEPT.move_to_end(key)
        return kept
    with without_cycle_collection():
        built = publication(reports, months, relations)
        found = built, protect(built.problem, min_cell, seconds=audit_seconds)
    _KEPT[key] = found
    while len(_KEPT) > KEEP:
        _KEPT.popitem(last=False)
    return found


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: building a problem makes hundreds of thousands of tuples and lists, none in a
    cycle (reference counting frees them), and the collector walking them all again and again took 40% of a cold
    report at a million participants. Nothing awaits inside, so no other request runs meanwhile."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def only(counts: Counts, figures: frozenset[str] | None) -> Counts:
    """A report's counts of these figures alone (all of them for None)."""
    if figures is None:
        return counts
    return Counts(
        {f: n for f, n in counts.totals.items() if f in figures},
        {
            dimension: {key: {f: n for f, n in counted.items() if f in figures} for key, counted in cells.items()}
            for dimension, cells in counts.breakdowns.items()
        },
    )


def forget() -> None:
    """Remember no protected publication (a cold start)."""
    _KEPT.clear()


async def protected(
    session: AsyncSession,
    *,
    programme_id: str,
    subproject_id: str | None,
    municipality: str | None,
    own: tuple[Period, Counts],
    months: dict[str, dict[str, int]],
    programme: CatalogueProgramme | None,
    target_figures: set[str],
    min_cell: int,
    reports: dict[Period, Counts] | None = None,
    audit_seconds: float = AUDIT_SECONDS,
) -> tuple[Publication, Protected]:
    """Everything the operator can be shown for the selection, and how each count is shown: the report asked for
    (its own counts), every other period's report (read unless given) and the monthly series."""
    if reports is None:
        reports = await every_period(session, programme_id, subproject_id, municipality)
    # only the figures the programme reports are shown anywhere (the report, its downloads, the dashboard): the
    # others constrain nothing a reader sees, and each one adds its thousands of counts to the audit
    reported = frozenset(f.id for f in reported_for(programme.fund, programme.register_results)) if programme else None
    reports = {period: only(counts, reported) for period, counts in {**reports, own[0]: own[1]}.items()}
    relations = relations_of(
        flex_job_is_employment=programme.flex_job_counts_as_employment if programme else True,
        wage_subsidy_is_employment=programme.wage_subsidy_counts_as_employment if programme else False,
        cr04_reading=programme.cr04_reading if programme else "every-participant",
        target_figures=target_figures,
        register_results=programme.register_results if programme else "verify",
    )
    return protected_publication(reports, months, relations, min_cell, audit_seconds)
