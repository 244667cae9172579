"""The audit of a suppressed report as statistical offices do it (tau-argus, sdcTable): a reader with a linear-program
solver takes everything published (shown counts as constants, "<N" as 1..N-1, "x" and every implicit count as
0..ceiling) and every equation between counts, and finds the smallest and largest value each hidden count can have.
A sensitive count (1 to min_cell-1) is confined if fewer than min_cell-1 values remain possible.

Hidden counts are solved in groups that share an equation (the connected components through hidden counts: shown
ones are constants and cut the links), and only groups holding a sensitive count are solved. Every solution the
solver returns is a report a reader would think possible, and the true counts are one: a sensitive count whose
values seen so far already span enough needs no program of its own. The solver is HiGHS (highspy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import highspy
import numpy as np

Bounds = tuple[int, int]
_EPS = 1e-6


class Problem(Protocol):
    """The counts and what a reader knows of them (services.reporting.suppression.Problem)."""

    @property
    def values(self) -> list[int]: ...
    @property
    def equations(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]: ...
    @property
    def at_most(self) -> list[tuple[int, int]]: ...


class _Marked(Protocol):
    @property
    def value(self) -> int | str: ...
    @property
    def suppressed(self) -> bool: ...


@dataclass(frozen=True)
class Found:
    """What the reader can work out: bounds of the sensitive hidden counts solved, and those confined."""

    bounds: dict[int, Bounds]
    confined: set[int]


def wide_enough(bounds: Bounds, min_cell: int) -> bool:
    """The protection rule: at least min_cell-1 values possible (as many as a "<N" mark alone leaves)."""
    return bounds[1] - bounds[0] + 1 >= min_cell - 1


def audit(problem: Problem, marks: Sequence[_Marked], min_cell: int, ceiling: int) -> Found:
    """Every sensitive hidden count's bounds for a reader of everything shown; those confined."""
    values = problem.values
    hidden = [m.suppressed for m in marks]
    parent = list(range(len(values)))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    touching: list[int] = []
    for index, (left, right) in enumerate(problem.equations):
        members = [v for v in (*left, *right) if hidden[v]]
        if members:
            touching.append(index)
            first = root(members[0])
            for v in members[1:]:
                parent[root(v)] = first
    for part, whole in problem.at_most:
        if hidden[part] and hidden[whole]:
            parent[root(part)] = root(whole)
    sensitive = [v for v, h in enumerate(hidden) if h and 0 < values[v] < min_cell]
    groups: dict[int, list[int]] = {}
    for v in sensitive:
        groups.setdefault(root(v), [])
    if not groups:
        return Found({}, set())
    members_of: dict[int, list[int]] = {r: [] for r in groups}
    for v, h in enumerate(hidden):
        if h and (r := root(v)) in members_of:
            members_of[r].append(v)
    rows_of: dict[int, list[int]] = {r: [] for r in groups}
    for index in touching:
        left, right = problem.equations[index]
        r = root(next(v for v in (*left, *right) if hidden[v]))
        if r in rows_of:
            rows_of[r].append(index)
    limits_of: dict[int, list[tuple[int, int]]] = {r: [] for r in groups}
    for part, whole in problem.at_most:
        if (hidden[part] or hidden[whole]) and (r := root(part if hidden[part] else whole)) in limits_of:
            limits_of[r].append((part, whole))
    bounds: dict[int, Bounds] = {}
    for r in groups:
        targets = [v for v in members_of[r] if 0 < values[v] < min_cell]
        bounds |= _solve(problem, marks, members_of[r], rows_of[r], limits_of[r], targets, min_cell, ceiling)
    return Found(bounds, {v for v, b in bounds.items() if not wide_enough(b, min_cell)})


def _range(mark: _Marked, min_cell: int, ceiling: int) -> tuple[float, float]:
    """What a mark alone tells: "<N" is 1..N-1, anything else hidden 0..ceiling."""
    if isinstance(mark.value, str) and mark.value.startswith("<"):
        return 1.0, float(int(mark.value[1:]) - 1)
    return 0.0, float(ceiling)


def _solve(
    problem: Problem,
    marks: Sequence[_Marked],
    columns: list[int],
    rows: list[int],
    limits: list[tuple[int, int]],
    targets: list[int],
    min_cell: int,
    ceiling: int,
) -> dict[int, Bounds]:
    """Each target's smallest and largest value over one group of hidden counts."""
    values = problem.values
    if not rows and not limits:
        return {
            v: (int(_range(marks[v], min_cell, ceiling)[0]), int(_range(marks[v], min_cell, ceiling)[1]))
            for v in targets
        }
    column = {v: i for i, v in enumerate(columns)}
    seen = {v: (values[v], values[v]) for v in columns}  # the true counts are one report a reader thinks possible
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.silent()
    ranges = [_range(marks[v], min_cell, ceiling) for v in columns]
    solver.addVars(len(columns), np.array([lo for lo, _ in ranges]), np.array([hi for _, hi in ranges]))
    for index in rows:
        left, right = problem.equations[index]
        coefficients: dict[int, float] = {}
        constant = 0.0
        for sign, side in ((1.0, left), (-1.0, right)):
            for v in side:
                if marks[v].suppressed:
                    coefficients[column[v]] = coefficients.get(column[v], 0.0) + sign
                else:
                    constant -= sign * values[v]
        indices = np.array(list(coefficients), dtype=np.int32)
        solver.addRow(constant, constant, len(indices), indices, np.array(list(coefficients.values())))
    for part, whole in limits:  # part - whole <= 0, the shown one a constant
        terms = {column[v]: sign for v, sign in ((part, 1.0), (whole, -1.0)) if marks[v].suppressed}
        constant = sum(-sign * values[v] for v, sign in ((part, 1.0), (whole, -1.0)) if not marks[v].suppressed)
        indices = np.array(list(terms), dtype=np.int32)
        solver.addRow(-highspy.kHighsInf, constant, len(indices), indices, np.array(list(terms.values())))
    all_columns = np.arange(len(columns), dtype=np.int32)
    found: dict[int, Bounds] = {}
    for v in targets:
        if wide_enough(seen[v], min_cell):
            found[v] = seen[v]
            continue
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            costs = np.zeros(len(columns))
            costs[column[v]] = 1.0
            solver.changeColsCost(len(columns), all_columns, costs)
            solver.changeObjectiveSense(sense)
            solver.run()
            if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"the audit's program has no optimum: {solver.getModelStatus()}")
            point = solver.getSolution().col_value
            for u, i in column.items():  # every solution is a possible report: it widens what is seen
                lo, hi = seen[u]
                seen[u] = (min(lo, math.ceil(point[i] - _EPS)), max(hi, math.floor(point[i] + _EPS)))
            ends.append(solver.getInfo().objective_function_value)
        found[v] = (math.ceil(ends[0] - _EPS), math.floor(ends[1] + _EPS))
    return found
