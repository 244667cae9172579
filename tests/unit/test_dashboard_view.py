"""The dashboard's pure parts: the half-years a programme touches, bars of hidden and shown counts, names."""

from __future__ import annotations

from datetime import date

from services.reporting.dashboard import half_years
from services.reporting.dashboard_view import _in_order, _percent, category


def test_the_half_years_a_programme_touches_end_in_february_and_august_newest_first() -> None:
    assert half_years(date(2024, 1, 1), date(2025, 3, 31)) == ["2025-08", "2025-02", "2024-08", "2024-02"]
    assert half_years(date(2026, 3, 1), date(2026, 8, 31)) == ["2026-08"]


def test_a_hidden_count_draws_no_bar_and_a_shown_one_is_scaled_to_the_widest() -> None:
    assert (_percent(5, 20), _percent("<5", 20), _percent("x", 20), _percent(3, 0)) == (25.0, None, None, None)
    assert category("municipality", "751", "da", {}) == "Aarhus (751)"
    assert category("municipality", "999", "da", {}) == "999"
    assert category("gender", "non-binary", "en", {}) == "Non-binary"
    assert category("target_group", "long-term-unemployed", "da", {}) == "Langtidsledige"
    assert category("target_group", "psychologically-vulnerable", "en", {}) == "Psychologically vulnerable"
    assert category("age_band", "over-54", "da", {}) == "Over 54 år"
    assert category("subproject_id", "plus-aarhus", "da", {"plus-aarhus": "Rummelig plus"}) == "Rummelig plus"


def test_a_breakdown_reads_in_its_list_order_with_unknown_categories_last() -> None:
    assert _in_order("age_band", ["under-25", "over-54", "25-54"], {}) == ["under-25", "25-54", "over-54"]
    assert _in_order("municipality", ["999", "751", "101"], {}) == ["101", "751", "999"]
    assert _in_order("subproject_id", ["b", "a", "z"], {"b": "Alfa", "a": "Beta"}) == ["b", "a", "z"]
