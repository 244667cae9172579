"""Small-cell suppression: a count that could identify a person is shown as '<N' before it leaves the system."""

from __future__ import annotations

import pytest

from services.reporting.suppression import Cell, suppress


def test_zero_is_shown_as_zero() -> None:
    assert suppress(0, 5) == Cell(0, False)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_a_count_from_one_to_four_is_shown_as_below_five_and_marked_suppressed(count: int) -> None:
    cell = suppress(count, 5)
    assert cell == Cell("<5", True)
    assert cell.value != count


@pytest.mark.parametrize("count", [5, 6, 19, 233, 913])
def test_a_count_of_five_or_more_is_shown(count: int) -> None:
    assert suppress(count, 5) == Cell(count, False)


@pytest.mark.parametrize(
    ("count", "min_cell", "expected"),
    [
        (1, 3, Cell("<3", True)),
        (2, 3, Cell("<3", True)),
        (3, 3, Cell(3, False)),
        (9, 10, Cell("<10", True)),
        (10, 10, Cell(10, False)),
        (0, 10, Cell(0, False)),
        (1, 1, Cell(1, False)),  # a min_cell of 1 suppresses nothing
    ],
)
def test_a_custom_minimum_cell_size_moves_the_threshold(count: int, min_cell: int, expected: Cell) -> None:
    assert suppress(count, min_cell) == expected
