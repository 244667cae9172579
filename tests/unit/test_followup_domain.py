"""Follow-up rules: deadlines from the leaving date, when an outcome may be recorded, and the reminder text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest

from services.followup.domain import due_on, first_reminder_at, may_record, reminder_text
from shared.clock import COPENHAGEN
from shared.contracts import Check, Situation
from shared.fund_rules import add_months, is_employed

CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
LEFT_ON = date(2026, 8, 31)
SIX_MONTHS_DUE = date(2027, 2, 28)

# --- calendar months ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # clamped to the end of a common February
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # clamped to the end of a leap-year February
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 10, 15), 6, date(2027, 4, 15)),  # crossing a year
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 7, 1), 6, date(2027, 1, 1)),
        (date(2026, 6, 30), 6, date(2026, 12, 30)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),  # September has 30 days
        (date(2026, 5, 20), 0, date(2026, 5, 20)),
        (date(2026, 5, 20), 24, date(2028, 5, 20)),
        (date(2026, 3, 31), -7, date(2025, 8, 31)),
        (date(2026, 5, 31), -7, date(2025, 10, 31)),
        (date(2026, 7, 31), -7, date(2025, 12, 31)),
        (date(2026, 9, 30), -7, date(2026, 2, 28)),
        (date(2028, 2, 29), -12, date(2027, 2, 28)),
    ],
)
def test_add_months_counts_calendar_months_clamped_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_the_leaving_outcome_falls_due_four_weeks_after_leaving() -> None:
    assert due_on("leaving-outcome", LEFT_ON) == date(2026, 9, 28)
    assert due_on("leaving-outcome", date(2026, 12, 20)) == date(2027, 1, 17)


def test_the_six_month_check_falls_due_six_calendar_months_after_leaving() -> None:
    assert due_on("six-month", LEFT_ON) == SIX_MONTHS_DUE
    assert due_on("six-month", date(2027, 8, 31)) == date(2028, 2, 29)
    assert due_on("six-month", date(2026, 1, 15)) == date(2026, 7, 15)


# --- the first reminder -------------------------------------------------------------------------------------------


def test_the_first_reminder_is_at_eight_in_the_morning_copenhagen_time_in_winter() -> None:
    at = first_reminder_at(date(2027, 1, 15))
    assert (at.date(), at.hour, at.minute) == (date(2027, 1, 15), 8, 0)
    assert at.tzinfo is not None
    assert at.utcoffset() == timedelta(hours=1)
    assert at.astimezone(UTC) == datetime(2027, 1, 15, 7, 0, tzinfo=UTC)


def test_the_first_reminder_is_at_eight_in_the_morning_copenhagen_time_in_summer() -> None:
    at = first_reminder_at(date(2026, 7, 15))
    assert (at.date(), at.hour, at.minute) == (date(2026, 7, 15), 8, 0)
    assert at.utcoffset() == timedelta(hours=2)
    assert at.astimezone(UTC) == datetime(2026, 7, 15, 6, 0, tzinfo=UTC)


def test_the_first_reminder_uses_the_copenhagen_zone() -> None:
    at = first_reminder_at(date(2026, 10, 25))  # the day summer time ends, after the change at 03:00
    assert at.astimezone(COPENHAGEN).hour == 8
    assert at.utcoffset() == timedelta(hours=1)


# --- may an outcome be recorded -----------------------------------------------------------------------------------


@pytest.mark.parametrize("check", ["leaving-outcome", "six-month"])
def test_nothing_can_be_recorded_for_a_participant_who_has_not_left(check: Check) -> None:
    refusal = may_record(check, left_on=None, due=None, fulfilled=False, observed_on=date(2026, 9, 1))
    assert refusal is not None
    assert refusal.reason == "not-left"


def test_an_outcome_cannot_be_recorded_twice() -> None:
    refusal = may_record(
        "leaving-outcome", left_on=LEFT_ON, due=date(2026, 9, 28), fulfilled=True, observed_on=date(2026, 9, 10)
    )
    assert refusal is not None
    assert refusal.reason == "already-recorded"


@pytest.mark.parametrize(("check", "due"), [("leaving-outcome", date(2026, 9, 28)), ("six-month", SIX_MONTHS_DUE)])
def test_an_observation_before_the_leaving_date_is_refused(check: Check, due: date) -> None:
    refusal = may_record(check, left_on=LEFT_ON, due=due, fulfilled=False, observed_on=date(2026, 8, 30))
    assert refusal is not None
    assert refusal.reason == "before-leaving"


def test_a_six_month_result_observed_before_it_is_due_is_refused() -> None:
    refusal = may_record(
        "six-month", left_on=LEFT_ON, due=SIX_MONTHS_DUE, fulfilled=False, observed_on=date(2027, 2, 27)
    )
    assert refusal is not None
    assert refusal.reason == "too-early"
    assert "2027-02-28" in refusal.detail


@pytest.mark.parametrize("observed_on", [SIX_MONTHS_DUE, date(2027, 3, 15)])
def test_a_six_month_result_observed_on_or_after_the_due_date_is_accepted(observed_on: date) -> None:
    assert (
        may_record("six-month", left_on=LEFT_ON, due=SIX_MONTHS_DUE, fulfilled=False, observed_on=observed_on) is None
    )


@pytest.mark.parametrize("observed_on", [LEFT_ON, date(2026, 9, 10), date(2026, 9, 28)])
def test_a_leaving_outcome_observed_from_the_leaving_date_is_accepted(observed_on: date) -> None:
    assert (
        may_record("leaving-outcome", left_on=LEFT_ON, due=date(2026, 9, 28), fulfilled=False, observed_on=observed_on)
        is None
    )


# --- employment ---------------------------------------------------------------------------------------------------

EMPLOYED_SITUATIONS = {"ordinary-employment", "social-economy-employment", "flex-job", "self-employed"}


def test_the_employed_situations_are_all_known_situations() -> None:
    assert EMPLOYED_SITUATIONS.issubset(get_args(Situation))


@pytest.mark.parametrize("situation", get_args(Situation))
def test_employment_includes_ordinary_social_economy_flex_job_and_self_employment_only(situation: str) -> None:
    assert is_employed(situation) is (situation in EMPLOYED_SITUATIONS)


@pytest.mark.parametrize("situation", ["education", "job-seeking", "inactive", "pension", "unknown", "", "employed"])
def test_not_employed_situations_and_unknown_words_are_not_employment(situation: str) -> None:
    assert is_employed(situation) is False


# --- the reminder -------------------------------------------------------------------------------------------------

LINK = "https://rummelig.example.dk/cases/RUM-000042"


@pytest.mark.parametrize("check", ["leaving-outcome", "six-month"])
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_a_reminder_names_the_case_the_due_date_and_the_link(check: Check, number: int) -> None:
    text = reminder_text(check=check, case_reference="RUM-000042", due=SIX_MONTHS_DUE, number=number, link=LINK)
    assert "RUM-000042" in text.subject
    assert "RUM-000042" in text.body
    assert "2027-02-28" in text.subject
    assert "2027-02-28" in text.body
    assert LINK in text.body


def test_the_two_checks_ask_for_different_things() -> None:
    leaving = reminder_text(check="leaving-outcome", case_reference="RUM-000042", due=LEFT_ON, number=1, link=LINK)
    six = reminder_text(check="six-month", case_reference="RUM-000042", due=LEFT_ON, number=1, link=LINK)
    assert "upon leaving" in leaving.body
    assert "six-month" in six.body
    assert leaving.subject != six.subject


@pytest.mark.parametrize("number", [1, 2])
def test_the_first_two_reminders_are_not_marked_overdue(number: int) -> None:
    text = reminder_text(check="six-month", case_reference="RUM-000042", due=SIX_MONTHS_DUE, number=number, link=LINK)
    assert "OVERDUE" not in text.subject
    assert "overdue" not in text.body.lower()


@pytest.mark.parametrize("number", [3, 4, 10])
def test_from_the_third_reminder_on_the_email_says_overdue(number: int) -> None:
    text = reminder_text(check="six-month", case_reference="RUM-000042", due=SIX_MONTHS_DUE, number=number, link=LINK)
    assert text.subject.startswith("OVERDUE")
    assert "overdue" in text.body


@pytest.mark.parametrize("check", ["leaving-outcome", "six-month"])
@pytest.mark.parametrize("number", [1, 3])
def test_a_reminder_holds_no_cpr_like_number(check: Check, number: int) -> None:
    text = reminder_text(check=check, case_reference="RUM-000042", due=SIX_MONTHS_DUE, number=number, link=LINK)
    assert not CPR_LIKE.search(text.subject)
    assert not CPR_LIKE.search(text.body)
    assert not re.search(r"\d{10}", text.subject + text.body)
