"""The fund's counting rules that intake needs at entry: whole months, long-term unemployment."""

from __future__ import annotations

from datetime import date

import pytest

from shared.fund_rules import long_term_unemployed, whole_months_between


@pytest.mark.parametrize(
    ("earlier", "later", "months"),
    [
        (date(2026, 3, 2), date(2026, 6, 16), 3),
        (date(2026, 3, 16), date(2026, 6, 15), 2),
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 6, 16), date(2026, 3, 2), 0),
        (date(2025, 12, 1), date(2026, 12, 1), 12),
    ],
)
def test_whole_months_between_count_calendar_months_completed(earlier: date, later: date, months: int) -> None:
    assert whole_months_between(earlier, later) == months


@pytest.mark.parametrize(
    ("months", "age", "long_term"), [(7, 24, True), (6, 24, False), (12, 25, False), (13, 25, True)]
)
def test_long_term_unemployment_is_over_12_months_or_over_6_under_25(months: int, age: int, long_term: bool) -> None:
    assert long_term_unemployed(months, age) is long_term
