"""Small-cell suppression that hides only what it must, pure: no count from 1 to min_cell-1 can be worked out from
everything the operator is shown, and nothing else is hidden that need not be.

A report is a `Problem`: counts of people (variables), each either published (a cell, a margin, a figure's total, a
month of a trend series) or implicit (never shown, but a count all the same: a figure's total minus its breakdown's
total is the people too incomplete for breakdowns), and the equations every reader knows between them (cells add up
to their margin, parts of a figure add up to the whole, two figures count the same people, periods add up to the
programme). A count from 1 to min_cell-1 is sensitive.

The protection rule: every sensitive count keeps at least min_cell-1 possible values for a reader who solves a
linear program over everything published (services.reporting.suppression_audit): no narrower than its "<5" mark
alone says. To get there, a published sensitive count is shown as "<N" (primary); then, until the audit passes (a
fixed point), each count the audit still confines has one more count hidden beside it: the cheapest shown cell of an
equation it is in (fewest people; a breakdown's cell before a margin, a margin before a figure's total), or a "<N"
made "x" where no cell is left. Never hidden: a zero (shown as 0) and a fixed count (a headline figure the operator
hands in, unless it is itself sensitive). What a reader knows of a hidden count: "<N" is 1..N-1, "x" any count.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from services.reporting.suppression_audit import Bounds, Memory, OutOfTime, audit

COMPLEMENTARY = "x"
MIN_CELL_FLOOR = 3  # no setting or catalogue event makes the smallest count shown lower
# How long the audit may take before the report is answered the coarse way: everything hidden but the fixed counts,
# the zeros and the "<N" marks (a report must answer; hiding more never narrows what a reader knows).
AUDIT_SECONDS = 5.0
CELL, MARGIN, TOTAL, IMPLICIT = "cell", "margin", "total", "implicit"  # what a variable is, for the cost of hiding it


class Cell(NamedTuple):
    """A count as shown: the number, "<N" (too small to show) or "x" (hidden so that no small count can be derived).
    A named tuple, not a dataclass: a report makes tens of thousands of them, and a tuple is made in C."""

    value: int | str
    suppressed: bool


COMPLEMENTARY_CELL = Cell(COMPLEMENTARY, True)


def suppress(count: int, min_cell: int) -> Cell:
    """The Danish rule for one count on its own: 1 to min_cell-1 is shown as "<min_cell"; zero is shown."""
    if 0 < count < min_cell:
        return Cell(f"<{min_cell}", True)
    return Cell(count, False)


@dataclass
class Problem:
    """Counts and what a reader knows of them: add a variable, then the equations between variables."""

    values: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # CELL, MARGIN, TOTAL or IMPLICIT (never shown)
    fixed: list[bool] = field(default_factory=list)  # a headline count: shown unless it is itself sensitive
    equations: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)  # sum(left) == sum(right)
    # (parts, wholes): the parts' people are among the wholes' (sum(parts) <= sum(wholes)), as every reader knows
    at_most: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def add(self, value: int, kind: str = CELL, *, fixed: bool = False) -> int:
        """A new count; its index."""
        self.values.append(value)
        self.kinds.append(kind)
        self.fixed.append(fixed)
        return len(self.values) - 1

    def equal(self, left: Iterable[int], right: Iterable[int]) -> bool:
        """Every reader knows that these add up alike; kept only if the counts agree (an equation they break is
        nobody's knowledge, and one they keep by chance only makes the audit stricter). True if kept."""
        left, right, values = tuple(left), tuple(right), self.values
        if sum([values[v] for v in left]) != sum([values[v] for v in right]):
            return False
        self.equations.append((left, right))
        return True

    def within(self, part: int | Iterable[int], whole: int | Iterable[int]) -> None:
        """Every reader knows that some counts' people are among others' (kept only if the counts agree)."""
        values = self.values
        if isinstance(part, int) and isinstance(whole, int):  # the common case, kept cheap
            if values[part] <= values[whole]:
                self.at_most.append(((part,), (whole,)))
            return
        parts = (part,) if isinstance(part, int) else tuple(part)
        wholes = (whole,) if isinstance(whole, int) else tuple(whole)
        if sum([values[v] for v in parts]) <= sum([values[v] for v in wholes]):
            self.at_most.append((parts, wholes))

    def each_within(self, parts: list[int], whole: int) -> None:
        """Every reader knows that each of these counts' people are among the whole's (each kept if it agrees)."""
        values, most = self.values, self.values[whole]
        self.at_most.extend([((p,), (whole,)) for p in parts if values[p] <= most])


@dataclass(frozen=True)
class Protected:
    """Every variable's mark (implicit ones are never shown: theirs is "x"), and what the last audit found."""

    marks: list[Cell]
    bounds: dict[int, Bounds]
    exposed: list[int]  # sensitive counts that could not be protected without hiding a fixed count or a zero
    rounds: int


def protect(
    problem: Problem, min_cell: int, *, ceiling: int | None = None, seconds: float = AUDIT_SECONDS
) -> Protected:
    """The marks of every count: small ones hidden, then more, until the audit confines no sensitive count; if the
    audit takes longer than `seconds`, every count that is neither fixed nor zero is hidden instead."""
    try:
        return _protected(problem, min_cell, ceiling=ceiling, deadline=time.monotonic() + seconds)
    except OutOfTime:
        return coarse(problem, min_cell)


def coarse(problem: Problem, min_cell: int) -> Protected:
    """The marks when the audit cannot finish in time: only fixed counts and zeros shown, small ones as "<N", every
    other count "x". What is left to a reader is what fixed counts and zeros give away by themselves, which the rule
    accepts (a headline figure is shown whatever it implies)."""
    marks = [
        suppress(v, min_cell) if k != IMPLICIT and (v == 0 or 0 < v < min_cell or fixed) else COMPLEMENTARY_CELL
        for v, k, fixed in zip(problem.values, problem.kinds, problem.fixed, strict=True)
    ]
    return Protected(marks, {}, [], -1)


def _protected(problem: Problem, min_cell: int, *, ceiling: int | None, deadline: float) -> Protected:
    values = problem.values
    top = max(values, default=0) if ceiling is None else ceiling  # no count of the report exceeds its largest
    marks = [
        COMPLEMENTARY_CELL if k == IMPLICIT else Cell(v, False) if v == 0 or v >= min_cell else suppress(v, min_cell)
        for v, k in zip(values, problem.kinds, strict=True)
    ]
    if min_cell <= 1 or not any(0 < v < min_cell for v in values):
        return Protected(marks, {}, [], 0)  # no small count, none to protect: a big programme's usual report
    memory = Memory(deadline=deadline)  # what each audit leaves the next: hiding more only widens what is possible
    rounds, found = 0, audit(problem, marks, min_cell, top, memory)
    neighbours: list[list[int]] = []
    while found.confined:  # the fixed point: hiding one count can let another be worked out
        neighbours = neighbours or _neighbours(problem)  # only if anything must be hidden beside
        rounds += 1
        before = list(marks)
        hidden_now = 0
        for v in sorted(found.confined, key=lambda v: (values[v], v)):
            if any(marks[w] != before[w] for e in neighbours[v] for side in problem.equations[e] for w in side):
                continue  # something beside it was just hidden: audit again before hiding more
            hidden_now += _hide_beside(problem, marks, neighbours, v, top)
        if not hidden_now:
            break  # nothing left that may be hidden: given away by fixed counts and zeros alone
        found = audit(problem, marks, min_cell, top, memory)
    return Protected(marks, found.bounds, sorted(found.confined), rounds)


def _neighbours(problem: Problem) -> list[list[int]]:
    """For each variable, the equations it is in."""
    found: list[list[int]] = [[] for _ in problem.values]
    for index, (left, right) in enumerate(problem.equations):
        for v in {*left, *right}:
            found[v].append(index)
    return found


def _cost(problem: Problem, v: int, top: int) -> tuple[int, int]:
    """What hiding a count loses: a breakdown's cell before a margin before a figure's total, fewest people first."""
    rank = {CELL: 0, MARGIN: 1, TOTAL: 2}[problem.kinds[v]]
    return rank * (top + 1) + problem.values[v], v


def _hide_beside(problem: Problem, marks: list[Cell], neighbours: list[list[int]], v: int, top: int) -> bool:
    """Hide the cheapest count that widens what a reader knows of v: a shown count of an equation v is in, reached
    through hidden ones, else a "<N" made "x"; False if there is none."""
    seen_vars, seen_eqs, frontier = {v}, set(), [v]
    shown: set[int] = set()
    small: set[int] = {v} if marks[v].value != COMPLEMENTARY else set()
    while frontier and not shown:
        reached = []
        for u in frontier:
            for e in neighbours[u]:
                if e in seen_eqs:
                    continue
                seen_eqs.add(e)
                for w in {*problem.equations[e][0], *problem.equations[e][1]} - seen_vars:
                    seen_vars.add(w)
                    if not marks[w].suppressed:
                        if problem.values[w] > 0 and not problem.fixed[w]:
                            shown.add(w)
                    else:
                        reached.append(w)
                        if marks[w].value != COMPLEMENTARY:
                            small.add(w)
        frontier = reached
    if shown:
        chosen = min(shown, key=lambda w: _cost(problem, w, top))
        marks[chosen] = Cell(COMPLEMENTARY, True)
        return True
    if small:
        marks[min(small, key=lambda w: (problem.values[w], w))] = Cell(COMPLEMENTARY, True)
        return True
    return False
