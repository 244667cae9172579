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


def derivable(cells: Mapping[K, Cell], total: Cell, min_cell: int, ceiling: int) -> set[K]:
    """The hidden cells a reader can pin down to one value from the shown cells and the total."""
    known = {k: bounds(c, min_cell, ceiling) for k, c in cells.items()}
    if total.suppressed:
        low_total, high_total = bounds(total, min_cell, ceiling)
    else:
        assert isinstance(total.value, int)
        low_total = high_total = total.value
    low_sum, high_sum = sum(lo for lo, _ in known.values()), sum(hi for _, hi in known.values())
    pinned = set()
    for key, cell in cells.items():
        if not cell.suppressed:
            continue
        lo, hi = known[key]
        others_lo, others_hi = low_sum - lo, high_sum - hi
        # the total's range minus what the others can add up to, within the cell's own range
        lo, hi = max(lo, low_total - others_hi), min(hi, high_total - others_lo)
        if lo == hi:
            pinned.add(key)
    return pinned


def suppress_table(counts: Mapping[K, int], min_cell: int) -> Table[K]:
    """Hide the small counts of a table, then as few more as it takes that none of them can be derived."""
    total_count = sum(counts.values())
    ceiling = total_count
    cells = {k: suppress(v, min_cell) for k, v in counts.items()}
    total = suppress(total_count, min_cell)
    if min_cell <= 1:
        return Table(cells, total)
    while derivable(cells, total, min_cell, ceiling):
        shown = sorted((v, str(k), k) for k, v in counts.items() if not cells[k].suppressed)  # zeros first
        small = sorted((v, str(k), k) for k, v in counts.items() if cells[k].value != COMPLEMENTARY)
        if shown:
            cells[shown[0][2]] = Cell(COMPLEMENTARY, True)
        elif not total.suppressed:
            total = Cell(COMPLEMENTARY, True)
        elif small:  # e.g. four cells of 1 under a total of "<5": say less of one of them
            cells[small[0][2]] = Cell(COMPLEMENTARY, True)
        else:
            break  # everything is "x" already
    return Table(cells, total)
