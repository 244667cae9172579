"""The dashboard's pure parts: the half-years a programme touches, bars of hidden and shown counts, names."""

from __future__ import annotations

from datetime import date

from services.reporting.dashboard import half_years
from services.reporting.dashboard_view import _percent, category


def test_the_half_years_a_programme_touches_end_in_february_and_august_newest_first() -> None:
    assert half_years(date(2024, 1, 1), date(2025, 3, 31)) == ["2025-08", "2025-02", "2024-08", "2024-02"]
    assert half_years(date(2026, 3, 1), date(2026, 8, 31)) == ["2026-08"]


def test_a_hidden_count_draws_no_bar_and_a_shown_one_is_scaled_to_the_widest() -> None:
    assert (_percent(5, 20), _percent("<5", 20), _percent("x", 20), _percent(3, 0)) == (25.0, None, None, None)
    assert category("municipality", "751", "da", {}) == "Aarhus (751)"
    assert category("gender", "non-binary", "en", {}) == "non-binary"
    assert category("subproject_id", "plus-aarhus", "da", {"plus-aarhus": "Rummelig plus"}) == "Rummelig plus"
