"""Everything the operator can be shown for one selection (a programme, perhaps one sub-project or municipality), as
one suppression problem, pure: the programme-to-date report, every Danish half-year's report by entry and by leaving,
and the dashboard's monthly series, with every equation a reader knows between their counts. Suppressing them
together means no two of them, set side by side, give a hidden count away (services.reporting.suppression).

What a reader knows, each as an equation (kept only where the counts agree: see Problem.equal):
- a breakdown's cells add up to its total; every breakdown of a figure has the same total (the complete records);
- a figure's total is its breakdowns' total plus the records too incomplete for breakdowns (implicit);
- parts add up to a whole, and figures counting the same people are equal (figure_relations.identities, twins);
- a nested figure plus the rest of its whole is the whole (figure_relations.NESTED; the rest implicit);
- the programme to date is its half-years plus the people without that date yet (implicit), by entry and by leaving;
- a series' months add up to its figure, in each half-year and to date (figure_relations.SERIES);
- a figure's people are among another's in every cell, total and incomplete rest (figure_relations.contained: every
  figure of people who started among the participants; CR04 among the not employed at entry), and the rest of a
  nested figure among a third's (EECR04 - CR04 among the employed at entry): inequalities a reader knows as well.
An implicit count of zero is taken as known (the stricter audit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from services.reporting.suppression import CELL, IMPLICIT, MARGIN, TOTAL, Problem

ALL = "*"
TO_DATE = "to-date"
UNDATED = "undated"
Period = tuple[str, str]  # (TO_DATE, ""), or (entry | leaving, first day of the half-year or UNDATED)
Address = tuple[Period, str, str, str]  # (period, figure, dimension or "total", category or ALL)
Month = tuple[str, str]  # (series, "YYYY-MM")
WHOLE: Period = (TO_DATE, "")


@dataclass(frozen=True)
class Counts:
    """One report's counts: each figure's total, and by dimension, category and figure its breakdowns."""

    totals: Mapping[str, int]
    breakdowns: Mapping[str, Mapping[str, Mapping[str, int]]]


@dataclass(frozen=True)
class Relations:
    """What a reader knows of how figures relate (services.reporting.figure_relations, for the programme)."""

    identities: list[tuple[str, tuple[str, ...]]]
    twins: list[tuple[str, ...]]
    nested: tuple[tuple[str, str], ...]
    series: Mapping[str, tuple[str, str | None]]
    headline: frozenset[str]
    # (part, wholes): the part's people are among the wholes' in every cell, total and incomplete rest
    contained: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # ((part, whole), wholes): the rest of a nested figure (whole - part) is among the wholes' people
    rest_contained: tuple[tuple[tuple[str, str], tuple[str, ...]], ...] = ()


@dataclass
class Publication:
    """The problem, and which variable each published count is."""

    problem: Problem = field(default_factory=Problem)
    at: dict[Address, int] = field(default_factory=dict)
    months: dict[Month, int] = field(default_factory=dict)
    # never shown: (period, figure) -> the figure's records too incomplete for breakdowns
    incomplete: dict[tuple[Period, str], int] = field(default_factory=dict)


def half_year_of(month: str) -> str:
    """The first day of the Danish half-year a month ("YYYY-MM") is in."""
    year, number = (int(part) for part in month.split("-"))
    if 3 <= number <= 8:
        return date(year, 3, 1).isoformat()
    return date(year if number >= 9 else year - 1, 9, 1).isoformat()


# A series over more months than this is shown by Danish half-year: a month of a long programme holds too few people
# to be shown (Rummelig imidt's seven years hold about five referrals a month), a half-year a few dozen.
MONTHS_SHOWN_AT_MOST = 24
TrendStep = Literal["month", "half-year"]


def trend_step(series: Mapping[str, Mapping[str, int]]) -> TrendStep:
    """Whether the series ("YYYY-MM" -> count) are shown month by month or half-year by half-year."""
    seen = {month for months in series.values() for month in months}
    if not seen:
        return "month"
    (first_year, first_month), (last_year, last_month) = (map(int, m.split("-")) for m in (min(seen), max(seen)))
    return (
        "half-year" if (last_year - first_year) * 12 + last_month - first_month + 1 > MONTHS_SHOWN_AT_MOST else "month"
    )


def by_half_year(months: Mapping[str, int]) -> dict[str, int]:
    """A monthly series summed by Danish half-year, each keyed by its first month ("YYYY-03" or "YYYY-09")."""
    folded: dict[str, int] = {}
    for month, count in months.items():
        key = half_year_of(month)[:7]
        folded[key] = folded.get(key, 0) + count
    return dict(sorted(folded.items()))


def publication(
    reports: Mapping[Period, Counts], trends: Mapping[str, Mapping[str, int]], relations: Relations
) -> Publication:
    """Every report and series of a selection as one suppression problem."""
    built = Publication()
    for period, counts in reports.items():
        _report(built, period, counts, relations)
    for kind in ("entry", "leaving"):
        halves = [p for p in reports if p[0] == kind and (p[1] == UNDATED or p[1][5:] in ("03-01", "09-01"))]
        for (_, figure, dimension, key), whole in [(a, v) for a, v in built.at.items() if a[0] == WHOLE]:
            parts = [built.at[(p, figure, dimension, key)] for p in halves if (p, figure, dimension, key) in built.at]
            built.problem.equal([whole], parts)
    _series(built, trends, relations)
    return built


def _report(built: Publication, period: Period, counts: Counts, relations: Relations) -> None:
    """One report's counts and the equations inside it; a period without a date is never shown (implicit)."""
    problem, at = built.problem, built.at
    hidden = period[1] == UNDATED
    at_place: dict[tuple[str, str], dict[str, int]] = {}  # (dimension, category) -> figure -> its count there

    def add(figure: str, dimension: str, key: str, value: int, kind: str) -> None:
        fixed = period == WHOLE and dimension == "total" and figure in relations.headline
        if hidden:  # never shown: a count the reader works out at best; a zero taken as known (the stricter audit)
            kind = IMPLICIT if value > 0 else CELL
        at[(period, figure, dimension, key)] = index = problem.add(value, kind, fixed=fixed)
        at_place.setdefault((dimension, key), {})[figure] = index

    for figure, value in counts.totals.items():
        add(figure, "total", ALL, value, TOTAL)
        margins = []
        for dimension, cells in counts.breakdowns.items():
            for key, figures in cells.items():
                add(figure, dimension, key, figures.get(figure, 0), CELL)
            add(figure, dimension, ALL, sum(c.get(figure, 0) for c in cells.values()), MARGIN)
            margin = at[(period, figure, dimension, ALL)]
            problem.equal([margin], [at[(period, figure, dimension, k)] for k in cells])
            margins.append(margin)
        for other in margins[1:]:
            problem.equal([margins[0]], [other])
        if margins:  # the records too incomplete for breakdowns: for the participants, a figure of its own
            total = at[(period, figure, "total", ALL)]
            rest = _rest(problem, problem.values[total] - problem.values[margins[0]])
            problem.equal([total], [margins[0], *rest])
            if rest:
                built.incomplete[(period, figure)] = rest[0]
    incomplete = at.get((period, "incomplete-records", "total", ALL))
    if incomplete is not None and (period, "participants", "gender", ALL) in at:
        problem.equal(
            [at[(period, "participants", "total", ALL)]], [at[(period, "participants", "gender", ALL)], incomplete]
        )
    places = [("total", ALL)] + [(d, k) for d, cells in counts.breakdowns.items() for k in (*cells, ALL)]
    for dimension, key in places:
        here = at_place.get((dimension, key), {})
        the = here.get  # a figure's count at this place, if it has one
        for whole, parts in relations.identities:
            found = [the(p) for p in parts]
            if (w := the(whole)) is not None and all(v is not None for v in found):
                problem.equal([w], [v for v in found if v is not None])
        dated = period[0] == "entry" and period[1] != UNDATED  # everyone with a date of entry started
        for group in [*relations.twins, *([("recruited", "participants")] if dated else [])]:
            members = [v for v in map(the, group) if v is not None]
            for other in members[1:]:
                problem.equal([members[0]], [other])
        if (everyone := the("recruited")) is not None:  # every count is of people referred to the programme
            problem.each_within([v for f, v in here.items() if f != "recruited"], everyone)
        for part, wholes in relations.contained:  # some people of the wholes, in each cell
            inside = [v for v in map(the, wholes) if v is not None]
            if (p := the(part)) is not None and len(inside) == len(wholes):
                problem.within(p, inside[0] if len(inside) == 1 else inside)
        for part, whole in relations.nested:
            if (p := the(part)) is not None and (w := the(whole)) is not None:
                rest = _rest(problem, problem.values[w] - problem.values[p])
                problem.equal([w], [p, *rest])
                for (inner, outer), among in relations.rest_contained:
                    others = [v for v in map(the, among) if v is not None]
                    if rest and (inner, outer) == (part, whole) and len(others) == len(among):
                        problem.within(rest[0], others)
    for part, wholes in relations.contained:  # some people of the wholes, among the incomplete records too
        if (p := built.incomplete.get((period, part))) is not None:
            problem.within(
                p, [built.incomplete[(period, w)] for w in wholes if (period, w) in built.incomplete]
            )  # a whole with no incomplete record (known zero) leaves none to the part


def _rest(problem: Problem, value: int) -> list[int]:
    """An implicit count (never shown); none if it is zero (taken as known)."""
    return [problem.add(value, IMPLICIT)] if value > 0 else []


def _series(built: Publication, trends: Mapping[str, Mapping[str, int]], relations: Relations) -> None:
    """The monthly series: each month a count, adding up to its figure in each half-year and to date."""
    problem = built.problem
    for series, months in trends.items():
        for month, value in months.items():
            built.months[(series, month)] = problem.add(value, CELL)
        if series not in relations.series:
            continue
        figure, kind = relations.series[series]
        if (WHOLE, figure, "total", ALL) in built.at:
            problem.equal([built.at[(WHOLE, figure, "total", ALL)]], [built.months[(series, m)] for m in months])
        if kind is None:
            continue
        by_half: dict[str, list[int]] = {}
        for month in months:
            by_half.setdefault(half_year_of(month), []).append(built.months[(series, month)])
        for first, variables in by_half.items():
            if ((kind, first), figure, "total", ALL) in built.at:
                problem.equal([built.at[((kind, first), figure, "total", ALL)]], variables)


def fixed_twins(relations: Relations) -> frozenset[str]:
    """The headline figures and every figure counting the same people as one (hiding it would hide nothing)."""
    found = set(relations.headline)
    for group in relations.twins:
        if found & set(group):
            found |= set(group)
    return frozenset(found)
