"""A long programme's series are shown half-year by half-year: a month of seven years holds too few people to show."""

from __future__ import annotations

from services.reporting.dashboard_view import TEXT
from services.reporting.disclosure import MONTHS_SHOWN_AT_MOST, by_half_year, trend_step


def _months(first_year: int, first_month: int, count: int) -> dict[str, int]:
    found = {}
    year, month = first_year, first_month
    for _ in range(count):
        found[f"{year}-{month:02d}"] = 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def test_two_years_are_shown_month_by_month_and_more_by_half_year() -> None:
    assert trend_step({"referrals": _months(2026, 1, MONTHS_SHOWN_AT_MOST)}) == "month"
    assert trend_step({"referrals": _months(2026, 1, MONTHS_SHOWN_AT_MOST + 1)}) == "half-year"
    # the span counts, across every series, not how many months have anyone in them
    assert trend_step({"referrals": {"2016-01": 3}, "exits": {"2021-06": 2}}) == "half-year"
    assert trend_step({"referrals": {}, "exits": {}}) == "month"


def test_a_half_year_sums_its_months_keyed_by_its_first_month() -> None:
    months = {"2016-01": 1, "2016-02": 2, "2016-03": 4, "2016-08": 8, "2016-09": 16, "2017-02": 32, "2017-03": 64}
    assert by_half_year(months) == {"2015-09": 3, "2016-03": 12, "2016-09": 48, "2017-03": 64}
    assert sum(by_half_year(months).values()) == sum(months.values())


def test_the_dashboard_says_which_step_it_shows() -> None:
    assert TEXT["trends"]["da"] == "Måned for måned"
    assert TEXT["trends-half-year"] == {"da": "Halvår for halvår", "en": "Half-year by half-year"}
