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

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import highspy
import numpy as np

Bounds = tuple[int, int]
_EPS = 1e-6


class OutOfTime(Exception):
    """The audit did not finish within its time: the caller hides more instead of waiting."""


class Problem(Protocol):
    """The counts and what a reader knows of them (services.reporting.suppression.Problem)."""

    @property
    def values(self) -> list[int]: ...
    @property
    def equations(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]: ...
    @property
    def at_most(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]: ...


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


@dataclass
class Memory:
    """What one audit leaves the next of the same problem with more hidden (hiding more only widens what a reader
    thinks possible): the values each count took in reports found possible, the counts whose bounds are exact, and
    the marks they are exact for."""

    seen: dict[int, Bounds] = field(default_factory=dict)
    exact: set[int] = field(default_factory=set)
    marks: list[tuple[int | str, bool]] = field(default_factory=list)
    # the problem's equations and inequalities, and their counts flat (which row each is in), made once
    rows: list[tuple[tuple[int, ...], tuple[int, ...], bool]] = field(default_factory=list)
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    deadline: float = math.inf  # time.monotonic() by which every program must be solved, or OutOfTime


def audit(
    problem: Problem, marks: Sequence[_Marked], min_cell: int, ceiling: int, memory: Memory | None = None
) -> Found:
    """Every sensitive hidden count's bounds for a reader of everything shown; those confined."""
    memory = Memory() if memory is None else memory
    now = [(m.value, m.suppressed) for m in marks]
    changed = {v for v, (a, b) in enumerate(zip(memory.marks, now, strict=False)) if a != b}
    if len(memory.marks) != len(now):
        changed, memory.exact = set(range(len(now))), set()
    memory.marks = now
    seen = memory.seen
    values = problem.values
    hidden = [m.suppressed for m in marks]
    if not memory.rows:  # equations and inequalities alike: sum(left) - sum(right) is 0 or at most 0
        memory.rows = [(left, right, True) for left, right in problem.equations]
        memory.rows += [(parts, wholes, False) for parts, wholes in problem.at_most]
        sizes = [len(left) + len(right) for left, right, _ in memory.rows]
        every = itertools.chain.from_iterable(left + right for left, right, _ in memory.rows)
        memory.flat = np.fromiter(every, dtype=np.int64)
        memory.row_of = np.repeat(np.arange(len(memory.rows)), sizes)
    rows = memory.rows
    hidden_at = np.array(hidden, dtype=bool)
    touching = np.unique(memory.row_of[hidden_at[memory.flat]]).tolist()  # the rows with a hidden count
    parent = list(range(len(values)))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for index in touching:
        left, right, _ = rows[index]
        members = [v for v in (*left, *right) if hidden[v]]
        first = root(members[0])
        for v in members[1:]:
            if (r := root(v)) != first:
                parent[r] = first
    sensitive = [v for v, h in enumerate(hidden) if h and 0 < values[v] < min_cell]
    confined = [v for v in sensitive if not wide_enough(seen.get(v, (values[v], values[v])), min_cell)]
    targets_of: dict[int, list[int]] = {}
    for v in confined:
        targets_of.setdefault(root(v), []).append(v)
    if not targets_of:
        return Found({v: seen.get(v, (values[v], values[v])) for v in sensitive}, set())
    members_of: dict[int, list[int]] = {r: [] for r in targets_of}
    for v, h in enumerate(hidden):
        if h and (r := root(v)) in members_of:
            members_of[r].append(v)
    rows_of: dict[int, list[int]] = {r: [] for r in targets_of}
    for index in touching:
        left, right, _ = rows[index]
        r = root(next(v for v in (*left, *right) if hidden[v]))
        if r in rows_of:
            rows_of[r].append(index)
    for r, targets in targets_of.items():
        if changed.isdisjoint(members_of[r]) and memory.exact.issuperset(targets):
            continue  # nothing hidden since in this group: the same program, the same bounds
        memory.exact -= set(members_of[r])
        _solve(
            problem,
            marks,
            members_of[r],
            [rows[i] for i in rows_of[r]],
            targets,
            min_cell,
            ceiling,
            seen,
            memory.deadline,
        )
        memory.exact |= set(targets)
    bounds = {v: seen.get(v, (values[v], values[v])) for v in sensitive}
    return Found(bounds, {v for v in confined if not wide_enough(bounds[v], min_cell)})


def _range(mark: _Marked, min_cell: int, ceiling: int) -> tuple[float, float]:
    """What a mark alone tells: "<N" is 1..N-1, anything else hidden 0..ceiling."""
    if isinstance(mark.value, str) and mark.value.startswith("<"):
        return 1.0, float(int(mark.value[1:]) - 1)
    return 0.0, float(ceiling)


def _solve(
    problem: Problem,
    marks: Sequence[_Marked],
    columns: list[int],
    rows: list[tuple[tuple[int, ...], tuple[int, ...], bool]],
    targets: list[int],
    min_cell: int,
    ceiling: int,
    seen: dict[int, Bounds],
    deadline: float = math.inf,
) -> None:
    """Each target's smallest and largest value over one group of hidden counts, into `seen` (with every value
    each hidden count took in a solution on the way: each is a report the reader thinks possible); OutOfTime once
    the deadline has passed."""
    values = problem.values
    for v in columns:
        seen.setdefault(v, (values[v], values[v]))  # the true counts are one report a reader thinks possible
    if not rows:
        for v in targets:
            low, high = _range(marks[v], min_cell, ceiling)
            seen[v] = (int(low), int(high))
        return
    column = {v: i for i, v in enumerate(columns)}
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.silent()
    solver.setOptionValue("presolve", "off")  # one program solved again and again with a new objective: warm starts
    ranges = np.array([_range(marks[v], min_cell, ceiling) for v in columns])
    solver.addVars(len(columns), ranges[:, 0], ranges[:, 1])
    starts, indices, coefficients, lower, upper = [0], list[int](), list[float](), list[float](), list[float]()
    for left, right, equal in rows:
        terms: dict[int, float] = {}
        constant = 0.0
        for sign, side in ((1.0, left), (-1.0, right)):
            for v in side:
                if marks[v].suppressed:
                    terms[column[v]] = terms.get(column[v], 0.0) + sign
                else:
                    constant -= sign * values[v]
        indices += terms
        coefficients += terms.values()
        starts.append(len(indices))
        lower.append(constant if equal else -highspy.kHighsInf)
        upper.append(constant)
    solver.addRows(
        len(rows),
        np.array(lower),
        np.array(upper),
        len(indices),
        np.array(starts[:-1], dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.array(coefficients),
    )
    all_columns = np.arange(len(columns), dtype=np.int32)

    def solved(costs: np.ndarray, sense: highspy.ObjSense) -> float:
        """The optimum of one objective; every solution is a possible report: it widens what is seen."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime
        if left != math.inf:
            solver.setOptionValue("time_limit", left)
        solver.changeColsCost(len(columns), all_columns, costs)
        solver.changeObjectiveSense(sense)
        solver.run()
        if solver.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            raise OutOfTime
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the audit's program has no optimum: {solver.getModelStatus()}")
        point = np.asarray(solver.getSolution().col_value)
        low_at, high_at = np.ceil(point - _EPS).astype(int), np.floor(point + _EPS).astype(int)
        for u, i in column.items():
            lo, hi = seen[u]
            if low_at[i] < lo or high_at[i] > hi:
                seen[u] = (min(lo, int(low_at[i])), max(hi, int(high_at[i])))
        return float(solver.getInfo().objective_function_value)

    senses = (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)
    if len(targets) > 1:  # every target at once first: one solution often shows many of them wide enough
        together = np.zeros(len(columns))
        together[[column[v] for v in targets]] = 1.0
        for sense in senses:
            solved(together, sense)
    for v in targets:
        ends = []
        for sense in senses:
            if wide_enough(seen[v], min_cell):
                break
            costs = np.zeros(len(columns))
            costs[column[v]] = 1.0
            ends.append(solved(costs, sense))
        else:
            seen[v] = (math.ceil(ends[0] - _EPS), math.floor(ends[1] + _EPS))
