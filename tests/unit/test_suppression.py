"""Small-cell suppression: hand-picked tables, and hypothesis trying to work out a hidden count and failing."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.suppression import (
    ALL,
    COMPLEMENTARY,
    Address,
    Cell,
    Linked,
    Table,
    protect,
    suppress,
    suppress_table,
)


def shown(table: Table[str]) -> dict[str, int | str]:
    return {k: c.value for k, c in table.cells.items()} | {"total": table.total.value}


def test_one_small_cell_hides_a_second_so_that_the_total_does_not_give_it_away() -> None:
    table = suppress_table({"aarhus": 3, "odder": 12, "hedensted": 20}, 5)
    assert shown(table) == {"aarhus": "<5", "odder": COMPLEMENTARY, "hedensted": 20, "total": 35}


def test_zero_is_shown_but_hidden_first_when_a_second_cell_must_go() -> None:
    table = suppress_table({"a": 2, "b": 0, "c": 30}, 5)
    assert shown(table) == {"a": "<5", "b": COMPLEMENTARY, "c": 30, "total": 32}


def test_two_small_cells_that_could_only_both_be_one_are_not_left_alone() -> None:
    table = suppress_table({"a": 1, "b": 1, "c": 30}, 5)  # 32 - 30 = 2 = 1 + 1
    assert table.cells["c"].suppressed


def test_a_table_with_nothing_small_is_shown_whole() -> None:
    assert shown(suppress_table({"a": 7, "b": 0, "c": 30}, 5)) == {"a": 7, "b": 0, "c": 30, "total": 37}


def test_a_small_total_of_small_cells_gives_none_of_them_away() -> None:
    table = suppress_table({"a": 1, "b": 1, "c": 1, "d": 1}, 5)
    assert table.total.suppressed and all(c.suppressed for c in table.cells.values())


def test_a_single_count_follows_the_danish_rule() -> None:
    assert [suppress(n, 5) for n in (0, 1, 4, 5)] == [
        Cell(0, False),
        Cell("<5", True),
        Cell("<5", True),
        Cell(5, False),
    ]


def _possible(table: Table[str], min_cell: int) -> list[dict[str, int]]:
    """Every table of counts a reader would think possible after seeing this one (a brute-force reader)."""
    keys = list(table.cells)
    total_shown = table.total.value if not table.total.suppressed else None
    shown_total = table.total.value if isinstance(table.total.value, int) else 0
    ceiling = shown_total + 3 * min_cell + sum(c.value for c in table.cells.values() if isinstance(c.value, int))

    def options(cell: Cell) -> range:
        if not cell.suppressed:
            assert isinstance(cell.value, int)
            return range(cell.value, cell.value + 1)
        return range(0, ceiling + 1) if cell.value == COMPLEMENTARY else range(1, min_cell)

    found = []
    for values in itertools.product(*(options(table.cells[k]) for k in keys)):
        total = sum(values)
        if total_shown is not None and total != total_shown:
            continue
        if total_shown is None and table.total.value != COMPLEMENTARY and not 0 < total < min_cell:
            continue
        found.append(dict(zip(keys, values, strict=True)))
    return found


@settings(max_examples=300, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4),
    min_cell=st.integers(min_value=3, max_value=5),
)
def test_no_hidden_count_can_be_worked_out_from_the_shown_cells_and_the_total(counts: list[int], min_cell: int) -> None:
    table = suppress_table({f"c{i}": n for i, n in enumerate(counts)}, min_cell)
    possible = _possible(table, min_cell)
    truth = {f"c{i}": n for i, n in enumerate(counts)}
    assert truth in possible  # the reader's model is right about the true table
    for key, cell in table.cells.items():
        if cell.suppressed:
            assert len({p[key] for p in possible}) > 1, f"{key} = {truth[key]} can be worked out from {table}"
    for key, cell in table.cells.items():
        assert cell.suppressed or not 0 < truth[key] < min_cell  # every small count is hidden


# --- across figures: left = completed + dropped out, in every cell, margin and total --------------------------------
FIGS = ("completed", "dropped-out", "left")
KEYS = ("751", "727")


def _report(cells: dict[tuple[str, str], int]) -> tuple[dict[Address, int], list[Linked]]:
    """Values and tables of a report of three figures broken down by one dimension of two categories."""
    values: dict[Address, int] = {}
    for key in KEYS:
        values[("completed", "m", key)] = cells[("c", key)]
        values[("dropped-out", "m", key)] = cells[("d", key)]
        values[("left", "m", key)] = cells[("c", key)] + cells[("d", key)]
    for figure in FIGS:
        values[(figure, "m", ALL)] = sum(values[(figure, "m", k)] for k in KEYS)
        values[(figure, "total", ALL)] = values[(figure, "m", ALL)]
    tables = [Linked(tuple((f, "m", k) for k in KEYS), (f, "m", ALL)) for f in FIGS]
    for key in (*KEYS, ALL):
        tables.append(Linked((("completed", "m", key), ("dropped-out", "m", key)), ("left", "m", key)))
    tables.append(Linked((("completed", "total", ALL), ("dropped-out", "total", ALL)), ("left", "total", ALL)))
    tables += [Linked(((f, "m", ALL),), (f, "total", ALL)) for f in FIGS]  # every record complete: total = margin
    return values, tables


def _fits(mark: Cell, value: int) -> bool:
    if not mark.suppressed:
        return mark.value == value
    if mark.value == COMPLEMENTARY:
        return value >= 0
    return 0 < value < int(str(mark.value).lstrip("<"))


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=6), min_size=4, max_size=4),
    min_cell=st.integers(min_value=3, max_value=5),
)
def test_no_hidden_count_can_be_worked_out_across_figures_that_add_up(counts: list[int], min_cell: int) -> None:
    truth = {("c", "751"): counts[0], ("d", "751"): counts[1], ("c", "727"): counts[2], ("d", "727"): counts[3]}
    values, tables = _report(truth)
    aligned = [tuple((f, d, ALL) for d in ("total", "m")) for f in FIGS]
    marks = protect(values, tables, aligned, min_cell)
    assert all(_fits(marks[a], v) for a, v in values.items())  # what is shown is true
    assert not any(0 < v < min_cell and not marks[a].suppressed for a, v in values.items())  # small is hidden
    # a brute-force reader: every report of four free counts that shows what this one shows
    seen: dict[Address, set[int]] = {a: set() for a, m in marks.items() if m.suppressed}
    for c1, d1, c2, d2 in itertools.product(range(0, 11), repeat=4):
        candidate, _ = _report({("c", "751"): c1, ("d", "751"): d1, ("c", "727"): c2, ("d", "727"): d2})
        if all(_fits(marks[a], v) for a, v in candidate.items()):
            for address in seen:
                seen[address].add(candidate[address])
    for address, possible in seen.items():
        assert len(possible) > 1, f"{address} = {values[address]} can be worked out from {marks}"
