"""What the caseworker is told when a recorded result will not count."""

from __future__ import annotations

import pytest

from services.intake.commands.domain import result_notice


@pytest.mark.parametrize("fact_type", ["leaving-outcome.recorded", "six-month-result.recorded"])
def test_a_result_that_counts_needs_no_notice(fact_type: str) -> None:
    assert result_notice(fact_type, {"counts": True, "late": False}) is None


def test_a_late_leaving_outcome_is_said_not_to_count_upon_leaving() -> None:
    notice = result_notice("leaving-outcome.recorded", {"counts": False, "late": True})
    assert notice is not None
    assert "late" in notice.lower() and "will not count upon leaving" in notice


def test_a_late_six_month_result_is_said_not_to_count() -> None:
    notice = result_notice("six-month-result.recorded", {"counts": False, "late": True})
    assert notice is not None and "will not count as the six-month result" in notice


def test_an_observation_older_than_the_one_counting_is_said_to_be_kept_as_history() -> None:
    notice = result_notice("leaving-outcome.recorded", {"counts": False, "late": False})
    assert notice is not None and "history" in notice


@pytest.mark.parametrize("fact_type", ["participation.completed", None, ""])
def test_other_facts_get_no_notice(fact_type: str | None) -> None:
    assert result_notice(fact_type, {"counts": False, "late": True}) is None
