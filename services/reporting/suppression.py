"""Small-cell suppression with complementary suppression, pure: no shown number lets anyone work out a hidden one.

A breakdown of one figure by one dimension is a table: cells that add up to its total (the margin). A count from 1
to min_cell-1 is hidden as "<min_cell" (primary); zero is shown. If the margin and the shown cells still pin a
hidden cell down to one value (a single hidden cell is the margin minus the rest; two hidden cells that must both
be 1, or both min_cell-1), further cells are hidden as "x" (complementary), smallest first (zeros included), then
the margin itself, then, where even that is not enough, a "<N" becomes "x". What a reader knows of a hidden cell:
"<N" is 1..N-1, "x" is any count of 0 or more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
COMPLEMENTARY = "x"


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, "<N" (too small to show) or "x" (hidden so that no small count can be derived)."""

    value: int | str
    suppressed: bool


@dataclass(frozen=True)
class Table(Generic[K]):
    """A suppressed table: its cells by key, and its total."""

    cells: dict[K, Cell]
    total: Cell


def suppress(count: int, min_cell: int) -> Cell:
    """The Danish rule for one count on its own: 1 to min_cell-1 is shown as "<min_cell"; zero is shown."""
    if 0 < count < min_cell:
        return Cell(f"<{min_cell}", True)
    return Cell(count, False)


def bounds(shown: Cell, min_cell: int, ceiling: int) -> tuple[int, int]:
    """What a reader knows of a cell: its value if shown, else the range its mark allows."""
    if not shown.suppressed:
        assert isinstance(shown.value, int)
        return shown.value, shown.value
    if shown.value == COMPLEMENTARY:
        return 0, ceiling
    return 1, min(min_cell - 1, ceiling)


def suppress_table(counts: Mapping[K, int], min_cell: int) -> Table[K]:
    """One table on its own: its small counts hidden, then as few more as it takes that none can be derived."""
    cells = {key: ("table", "cells", str(key)) for key in counts}
    total: Address = ("table", "cells", ALL)
    values = {cells[k]: v for k, v in counts.items()} | {total: sum(counts.values())}
    marks = protect(values, [Linked(tuple(cells.values()), total)], [], min_cell)
    return Table({k: marks[a] for k, a in cells.items()}, marks[total])


# --- a whole report: every table, and the identities between figures -----------------------------------------------
Address = tuple[str, str, str]  # (figure, dimension or "total", category or "*" for the table's total)
ALL = "*"


@dataclass(frozen=True)
class Linked:
    """One table of a report: cells that add up to a margin, each an address in the report."""

    cells: tuple[Address, ...]
    margin: Address


def protect(
    values: Mapping[Address, int], tables: list[Linked], aligned: list[tuple[Address, ...]], min_cell: int
) -> dict[Address, Cell]:
    """Every count of a report as shown: small ones hidden, and more hidden until nothing a reader can reason out from
    every table, margin and identity between figures together pins a hidden one down. Aligned counts (the same people,
    or a figure's total beside its breakdowns' totals) are hidden together."""
    marks = {address: suppress(value, min_cell) for address, value in values.items()}
    if min_cell <= 1:
        return marks
    ceiling = max(values.values(), default=0)
    components = _components(tables)
    changed = True
    while changed:  # hiding for one table may be undone by nothing, but aligning may touch another component
        changed = _align(values, marks, aligned)
        for component in components:
            while pinned := _pinned(marks, component, min_cell, ceiling):
                if not any(_hide_in(values, marks, table) for table in pinned.values()):
                    break  # nothing left to hide where any of them is pinned down
                changed = True
    return marks


def _components(tables: list[Linked]) -> list[list[Linked]]:
    """The tables in groups that share no count: a reader's reasoning never leaves its group."""
    parent: dict[Address, Address] = {}

    def root(a: Address) -> Address:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for table in tables:
        for address in table.cells:
            parent[root(address)] = root(table.margin)
    grouped: dict[Address, list[Linked]] = {}
    for table in tables:
        grouped.setdefault(root(table.margin), []).append(table)
    return list(grouped.values())


def _pinned(marks: Mapping[Address, Cell], tables: list[Linked], min_cell: int, ceiling: int) -> dict[Address, Linked]:
    """The hidden counts a reader pins down to one value, reasoning over every table at once (bounds propagation),
    each with the table that pinned it."""
    addresses = {a for t in tables for a in (*t.cells, t.margin)}
    known = {a: bounds(marks[a], min_cell, ceiling) for a in addresses}
    by: dict[Address, Linked] = {}

    def tighten(address: Address, lo: int, hi: int, table: Linked) -> bool:
        if (lo, hi) == known[address] or lo > hi:
            return False
        known[address] = (lo, hi)
        if lo == hi:
            by.setdefault(address, table)
        return True

    changed = True
    while changed:
        changed = False
        for table in tables:
            parts = [known[a] for a in table.cells]
            low, high = sum(lo for lo, _ in parts), sum(hi for _, hi in parts)
            m_lo, m_hi = known[table.margin]
            changed |= tighten(table.margin, max(m_lo, low), min(m_hi, high), table)
            m_lo, m_hi = known[table.margin]
            for address, (lo, hi) in zip(table.cells, parts, strict=True):
                changed |= tighten(address, max(lo, m_lo - (high - hi)), min(hi, m_hi - (low - lo)), table)
    return {a: t for a, t in by.items() if marks[a].suppressed and known[a][0] == known[a][1]}


def _hide_in(values: Mapping[Address, int], marks: dict[Address, Cell], table: Linked) -> bool:
    """Hide one more count of the table that pins a hidden one down: its smallest shown cell (a zero first), else its
    margin, else a "<N" made "x"; False if everything in it is "x" already."""
    candidates = [
        sorted((values[a], a) for a in table.cells if not marks[a].suppressed),
        [(values[table.margin], table.margin)] if not marks[table.margin].suppressed else [],
        sorted((values[a], a) for a in (*table.cells, table.margin) if marks[a].value != COMPLEMENTARY),
    ]
    for found in candidates:
        if found:
            marks[found[0][1]] = Cell(COMPLEMENTARY, True)
            return True
    return False


def _align(values: Mapping[Address, int], marks: dict[Address, Cell], aligned: list[tuple[Address, ...]]) -> bool:
    """A count hidden in a group hides the others: alike if they are equal, else as "x"; True if anything changed."""
    changed = False
    for group in aligned:
        present = [a for a in group if a in marks]
        hidden = [marks[a] for a in present if marks[a].suppressed]
        if not hidden:
            continue
        equal = len({values[a] for a in present}) == 1
        wanted = next((c for c in hidden if c.value == COMPLEMENTARY), hidden[0]) if equal else None
        for address in present:
            mark = wanted or (marks[address] if marks[address].value == COMPLEMENTARY else Cell(COMPLEMENTARY, True))
            if marks[address] != mark:
                marks[address], changed = mark, True
    return changed
