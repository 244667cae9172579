"""A small programme's people, its reports as the operator is shown them, and a reader with a linear-program solver
who tries to work out every hidden count: independent of the production code's equations, the reader's unknowns are
the numbers of people of each kind (every combination of what is recorded), and every count shown, "<N" or "x", is a
sum of them. Whatever identity holds between figures, cells, periods and months, this reader knows it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

from services.reporting.disclosure import ALL, UNDATED, WHOLE, Counts, Period, Publication, publication
from services.reporting.protection import relations_of
from services.reporting.suppression import Cell, Protected, protect

GENDERS = ("female", "male", None)  # None: a record too incomplete for breakdowns
SUBPROJECTS = ("a", "b")
AT_ENTRY = ("unemployed", "employed")
OUTCOMES = ("none", "ordinary", "social-economy", "flex-job")
MONTHS = ("2025-03", "2025-04", "2025-09", "2025-10", None)  # None: never started
HALF_OF = {"2025-03": "2025-03-01", "2025-04": "2025-03-01", "2025-09": "2025-09-01", "2025-10": "2025-09-01"}
Person = tuple[str | None, str, str, str, str | None]  # gender, sub-project, status at entry, outcome, month started
KINDS: list[Person] = [
    (g, s, e, o if m else "none", m)
    for g, s, e, o, m in itertools.product(GENDERS, SUBPROJECTS, AT_ENTRY, OUTCOMES, MONTHS)
    if m or o == "none"
]


def _started(p: Person) -> bool:
    return p[4] is not None


def _employed(p: Person) -> bool:
    return p[3] != "none"


FIGURES: dict[str, Callable[[Person], bool]] = {
    "recruited": lambda p: True,
    "participants": _started,
    "EECO01": _started,
    "employed-upon-leaving": _employed,
    "EECR04": _employed,
    "CR04": lambda p: _employed(p) and p[2] != "employed",  # the programme counts only those not employed at entry
    "employed-ordinary-upon-leaving": lambda p: p[3] == "ordinary",
    "employed-social-economy-upon-leaving": lambda p: p[3] == "social-economy",
    "employed-self-employed-upon-leaving": lambda p: False,
    "employed-flex-job-upon-leaving": lambda p: p[3] == "flex-job",
    "self-supporting": lambda p: p[3] in ("ordinary", "social-economy"),
    "unemployed": lambda p: _started(p) and p[2] == "unemployed",
    "employed": lambda p: _started(p) and p[2] == "employed",
    "inactive": lambda p: False,
    "incomplete-records": lambda p: _started(p) and p[0] is None,
}
DIMENSIONS = {"gender": 0, "subproject_id": 1}


def in_period(period: Period, p: Person) -> bool:
    """Whether a person is counted in a period's report (by entry)."""
    if period == WHOLE:
        return True
    if period[1] == UNDATED:
        return p[4] is None
    return p[4] is not None and HALF_OF[p[4]] == period[1]


PERIODS: list[Period] = [WHOLE, ("entry", "2025-03-01"), ("entry", "2025-09-01"), ("entry", UNDATED)]


def counts(people: list[Person], period: Period) -> Counts:
    """One period's report, counted person by person."""
    inside = [p for p in people if in_period(period, p)]
    complete = [p for p in inside if p[0] is not None]
    breakdowns = {
        d: {str(k): {f: sum(rule(p) for p in complete if p[i] == k) for f, rule in FIGURES.items()} for k in keys}
        for d, i, keys in (("gender", 0, {p[0] for p in complete}), ("subproject_id", 1, {p[1] for p in complete}))
    }
    return Counts({f: sum(rule(p) for p in inside) for f, rule in FIGURES.items()}, breakdowns)


def months(people: list[Person]) -> dict[str, dict[str, int]]:
    """The starts, month by month."""
    found: dict[str, int] = {}
    for p in people:
        if p[4] is not None:
            found[p[4]] = found.get(p[4], 0) + 1
    return {"starts": dict(sorted(found.items()))}


def suppressed(people: list[Person], min_cell: int, targets: Iterable[str] = ()) -> tuple[Publication, Protected]:
    """Every report and series of the small programme, as the production code shows them."""
    relations = relations_of(
        flex_job_is_employment=True,
        wage_subsidy_is_employment=False,
        cr04_reading="not-employed-at-entry",
        target_figures=set(targets),
    )
    built = publication({p: counts(people, p) for p in PERIODS}, months(people), relations)
    return built, protect(built.problem, min_cell)


# --- what a count is, in people of each kind -------------------------------------------------------------------
Group = Callable[[Person], bool]


def address_group(period: Period, figure: str, dimension: str, key: str) -> Group:
    """The people a published count counts."""
    rule = FIGURES[figure]
    if dimension == "total":
        return lambda p: in_period(period, p) and rule(p)
    index = DIMENSIONS[dimension]
    return lambda p: in_period(period, p) and rule(p) and p[0] is not None and (key == ALL or str(p[index]) == key)


def month_group(month: str) -> Group:
    return lambda p: p[4] == month


def _incomplete(period: Period, rule: Group) -> Group:
    return lambda p: in_period(period, p) and rule(p) and p[0] is None


def _employed_at_entry_and_upon_leaving(period: Period) -> Group:
    return lambda p: in_period(period, p) and _employed(p) and p[2] == "employed"


def groups_to_protect() -> dict[str, Group]:
    """Every count a reader must not work out if it is 1 to min_cell-1: each cell, margin and total of every period
    (the period without a date too), the people each figure leaves out of its breakdowns, and EECR04 - CR04."""
    found: dict[str, Group] = {}
    for period in PERIODS:
        for figure in FIGURES:
            found[f"{period} {figure} total"] = address_group(period, figure, "total", ALL)
            found[f"{period} {figure} incomplete"] = _incomplete(period, FIGURES[figure])
            for dimension, index in DIMENSIONS.items():
                found[f"{period} {figure} {dimension} *"] = address_group(period, figure, dimension, ALL)
                for key in GENDERS[:2] if index == 0 else SUBPROJECTS:
                    found[f"{period} {figure} {dimension} {key}"] = address_group(period, figure, dimension, str(key))
        found[f"{period} employed at entry and upon leaving"] = _employed_at_entry_and_upon_leaving(period)
    for month in MONTHS:
        if month is not None:
            found[f"starts {month}"] = month_group(month)
    return found


def members(group: Group) -> np.ndarray:
    """Which kinds of people a group counts, as 0/1 over KINDS."""
    return np.array([1.0 if group(k) else 0.0 for k in KINDS])


@dataclass
class Reader:
    """A linear program over the numbers of people of each kind, given what is shown."""

    solver: highspy.Highs
    points: list[np.ndarray] = field(default_factory=list)  # reports the reader has found possible so far

    def bounds(self, group: Group) -> tuple[int, float]:
        """The smallest and largest count the reader thinks a group of people can have."""
        costs = members(group)
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.solver.changeColsCost(len(KINDS), np.arange(len(KINDS), dtype=np.int32), costs)
            self.solver.changeObjectiveSense(sense)
            self.solver.run()
            status = self.solver.getModelStatus()
            if status == highspy.HighsModelStatus.kUnbounded:
                ends.append(math.inf)
                continue
            assert status == highspy.HighsModelStatus.kOptimal, status
            ends.append(self.solver.getInfo().objective_function_value)
            self.points.append(np.array(self.solver.getSolution().col_value))
        return math.ceil(ends[0] - 1e-6), math.floor(ends[1] + 1e-6) if ends[1] != math.inf else math.inf

    def narrows(self, group: Group, min_cell: int) -> tuple[int, float] | None:
        """The group's bounds if the reader confines it to fewer than min_cell-1 values, else None; a group whose
        counts in reports already found possible span enough needs no program of its own."""
        vector = members(group)
        if self.points:
            seen = np.array(self.points) @ vector
            if math.floor(seen.max() + 1e-6) - math.ceil(seen.min() - 1e-6) + 1 >= min_cell - 1:
                return None
        low, high = self.bounds(group)
        return (low, high) if high - low + 1 < min_cell - 1 else None


def kinds_of(people: list[Person]) -> np.ndarray:
    """The true number of people of each kind: one report the reader must think possible."""
    found = dict.fromkeys(KINDS, 0)
    for p in people:
        found[p] += 1
    return np.array([float(found[k]) for k in KINDS])


def reader(shown: Mapping[Group, Cell] | list[tuple[Group, Cell]]) -> Reader:
    """A reader of everything shown: a number is a number, "<N" is 1..N-1, "x" is any count."""
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.silent()
    solver.addVars(len(KINDS), np.zeros(len(KINDS)), np.full(len(KINDS), highspy.kHighsInf))
    for group, cell in shown.items() if isinstance(shown, Mapping) else shown:
        inside = np.array([i for i, k in enumerate(KINDS) if group(k)], dtype=np.int32)
        if isinstance(cell.value, int):
            low, high = float(cell.value), float(cell.value)
        elif cell.value.startswith("<"):
            low, high = 1.0, float(int(cell.value[1:]) - 1)
        else:
            continue
        solver.addRow(low, high, len(inside), inside, np.ones(len(inside)))
    return Reader(solver, [])


def shown_to_operator(built: Publication, marks: list[Cell]) -> list[tuple[Group, Cell]]:
    """Every count the operator can be shown (the period without a date is no report), with its mark."""
    found = [(address_group(*address), marks[index]) for address, index in built.at.items() if address[0][1] != UNDATED]
    found += [(month_group(month), marks[index]) for (_, month), index in built.months.items()]
    return found


def never_hidden(built: Publication, marks: list[Cell]) -> list[tuple[Group, Cell]]:
    """What the rule shows whatever else is hidden: the headline figures (a "<N" if they are small) and the zeros."""
    return [
        (address_group(*address), marks[index])
        for address, index in built.at.items()
        if address[0][1] != UNDATED and (built.problem.fixed[index] or built.problem.values[index] == 0)
    ]


def true_count(people: list[Person], group: Group) -> int:
    return sum(group(p) for p in people)
