"""Follow-up rules, pure: the calendar of each check (Europe/Copenhagen), when a result may be recorded, and which
record counts by the fund's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args
from uuid import uuid4

import pytest

from services.followup.domain import (
    Counted,
    Judgement,
    employed_at_entry,
    improvement_problem,
    judge,
    may_record,
    proposed_outcome,
)
from services.followup.schedule import Step, Window, morning_of, next_moment, reminders_after, step_due, steps, window
from shared.clock import COPENHAGEN
from shared.contracts import Check, Improvement, Situation
from shared.fund_rules import add_months, is_employed

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


# --- each check's window ---------------------------------------------------------------------------------------


def test_the_leaving_outcome_is_asked_for_on_day_14_and_counts_until_day_28() -> None:
    assert window("leaving-outcome", LEFT_ON) == Window(date(2026, 9, 14), date(2026, 9, 28))
    assert window("leaving-outcome", date(2026, 12, 20)).counts_until == date(2027, 1, 17)  # across the new year


def test_the_six_month_result_falls_due_six_calendar_months_after_leaving_and_counts_for_eight_weeks() -> None:
    assert window("six-month", LEFT_ON) == Window(SIX_MONTHS_DUE, SIX_MONTHS_DUE + timedelta(weeks=8))
    assert window("six-month", date(2027, 8, 31)).due_on == date(2028, 2, 29)  # a leap year's end of February
    assert window("six-month", date(2026, 1, 15)).due_on == date(2026, 7, 15)


def test_the_programme_sets_the_limit_for_late_six_month_results() -> None:
    assert window("six-month", LEFT_ON, 14).counts_until == date(2027, 3, 14)
    assert window("six-month", LEFT_ON, 0).counts_until == SIX_MONTHS_DUE


# --- the steps: reminders while a result can still count, then the coordinator, then nothing --------------------


def test_the_leaving_outcome_is_reminded_on_days_14_and_24_escalated_on_day_26_and_given_up_after_day_28() -> None:
    assert steps("leaving-outcome", LEFT_ON) == (
        Step("reminder", date(2026, 9, 14)),
        Step("reminder", date(2026, 9, 24)),
        Step("overdue", date(2026, 9, 26)),
        Step("lapse", date(2026, 9, 29)),
    )


def test_both_leaving_outcome_reminders_come_while_a_record_still_counts() -> None:
    w = window("leaving-outcome", LEFT_ON)
    assert all(s.on <= w.counts_until for s in steps("leaving-outcome", LEFT_ON) if s.kind == "reminder")


def test_the_six_month_result_is_reminded_when_due_and_a_week_later_then_escalated_then_given_up() -> None:
    assert steps("six-month", LEFT_ON) == (
        Step("reminder", date(2027, 2, 28)),
        Step("reminder", date(2027, 3, 7)),
        Step("overdue", date(2027, 3, 14)),
        Step("lapse", date(2027, 4, 26)),
    )
    planned = steps("six-month", LEFT_ON)
    assert [reminders_after(planned, index) for index in range(4)] == [1, 0, 0, 0]  # after the first, one more


def test_a_short_limit_for_late_results_drops_the_steps_after_it() -> None:
    assert steps("six-month", LEFT_ON, 10) == (
        Step("reminder", date(2027, 2, 28)),
        Step("reminder", date(2027, 3, 7)),
        Step("lapse", date(2027, 3, 11)),
    )


# --- Copenhagen mornings, right across both changes of clocks ----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2027, 1, 15), 7),  # winter: UTC+1
        (date(2026, 7, 15), 6),  # summer: UTC+2
        (date(2026, 3, 28), 7),  # the Saturday before summer time begins
        (date(2026, 3, 29), 6),  # summer time began at 02:00 that night
        (date(2026, 10, 24), 6),  # the Saturday before summer time ends
        (date(2026, 10, 25), 7),  # summer time ended at 03:00 that night
    ],
)
def test_every_step_is_at_eight_in_the_morning_in_copenhagen(day: date, utc_hour: int) -> None:
    at = morning_of(day)
    assert at == datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
    assert at.astimezone(COPENHAGEN).hour == 8


def test_a_weekly_repeat_across_the_end_of_summer_time_stays_at_eight_local_time() -> None:
    left_on = add_months(date(2026, 10, 20), -6)  # due on 20 October (summer), repeated on 27 October (winter)
    first, second = (s.at for s in steps("six-month", left_on)[:2])
    assert [first.astimezone(COPENHAGEN).hour, second.astimezone(COPENHAGEN).hour] == [8, 8]
    assert second - first == timedelta(days=7, hours=1)  # 169 hours apart in UTC, not 168


def test_a_weekly_repeat_across_the_start_of_summer_time_stays_at_eight_local_time() -> None:
    left_on = add_months(date(2027, 3, 25), -6)
    first, second = (s.at for s in steps("six-month", left_on)[:2])
    assert second.astimezone(COPENHAGEN).hour == 8
    assert second - first == timedelta(days=7, hours=-1)


# --- which step is due: only the latest missed one -----------------------------------------------------------------


def test_no_step_is_due_before_the_first_morning() -> None:
    planned = steps("six-month", LEFT_ON)
    assert step_due(planned, 0, planned[0].at - timedelta(seconds=1)) is None
    assert step_due(planned, 0, planned[0].at) == 0


def test_missed_steps_are_not_caught_up_one_by_one() -> None:
    planned = steps("six-month", LEFT_ON)
    assert step_due(planned, 0, planned[1].at + timedelta(hours=1)) == 1  # one reminder, not two
    assert step_due(planned, 0, planned[-1].at + timedelta(days=900)) == len(planned) - 1  # an old case: given up


def test_the_coordinator_is_never_told_before_the_caseworker_was_reminded_once() -> None:
    planned = steps("six-month", LEFT_ON)
    late = planned[2].at + timedelta(hours=1)  # the escalation is due, and no reminder went out yet
    assert step_due(planned, 0, late) == 1
    assert step_due(planned, 2, late) == 2  # once reminded, the escalation follows
    assert next_moment(planned, 1, late) == late + timedelta(days=2)  # ... two days after the late reminder
    assert next_moment(planned, 1, planned[1].at) == planned[2].at  # a reminder on time keeps the schedule
    assert next_moment(planned, len(planned) - 1, late) is None


def test_a_step_already_done_is_not_due_again() -> None:
    planned = steps("leaving-outcome", LEFT_ON)
    assert step_due(planned, 1, planned[0].at + timedelta(hours=1)) is None


# --- may a result be recorded ---------------------------------------------------------------------------------------

LEAVING = window("leaving-outcome", LEFT_ON)
SIX = window("six-month", LEFT_ON)


@pytest.mark.parametrize("check", ["leaving-outcome", "six-month"])
def test_nothing_can_be_recorded_for_a_participant_who_has_not_left(check: Check) -> None:
    refusal = may_record(check, left_on=None, on_course=False, window=None, observed_on=date(2026, 9, 1))
    assert refusal is not None and refusal.reason == "not-left"


def test_nothing_can_be_recorded_for_an_exit_while_the_participant_is_back_on_a_course() -> None:
    refusal = may_record(
        "leaving-outcome", left_on=LEFT_ON, on_course=True, window=LEAVING, observed_on=date(2026, 9, 10)
    )
    assert refusal is not None and refusal.reason == "not-left"


@pytest.mark.parametrize(("check", "w"), [("leaving-outcome", LEAVING), ("six-month", SIX)])
def test_an_observation_before_the_leaving_date_is_refused(check: Check, w: object) -> None:
    refusal = may_record(check, left_on=LEFT_ON, on_course=False, window=SIX, observed_on=date(2026, 8, 30))
    assert refusal is not None and refusal.reason == "before-leaving"


def test_a_six_month_result_observed_before_it_is_due_is_refused_as_too_early() -> None:
    refusal = may_record("six-month", left_on=LEFT_ON, on_course=False, window=SIX, observed_on=date(2027, 2, 27))
    assert refusal is not None and refusal.reason == "too-early"
    assert "2027-02-28" in refusal.detail


@pytest.mark.parametrize("observed_on", [SIX_MONTHS_DUE, date(2027, 3, 15), date(2030, 1, 1)])
def test_a_six_month_result_on_or_after_its_due_date_is_accepted_however_late(observed_on: date) -> None:
    assert may_record("six-month", left_on=LEFT_ON, on_course=False, window=SIX, observed_on=observed_on) is None


def test_an_improvement_is_refused_for_a_participant_not_employed_at_entry() -> None:
    args = {"situation": "ordinary-employment", "employed": True}
    refusal = improvement_problem("promotion", **args, employed_at_entry=False)  # type: ignore[arg-type]
    assert refusal is not None and refusal.reason == "improvement-not-asked"
    assert improvement_problem("promotion", **args, employed_at_entry=True) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("improvement", ["precarious-to-stable", "higher-skills-job", "promotion"])
def test_an_improvement_needs_a_six_month_situation_that_is_employment(improvement: Improvement) -> None:
    refusal = improvement_problem(improvement, situation="inactive", employed=False, employed_at_entry=True)
    assert refusal is not None and refusal.reason == "improvement-without-employment"
    assert "inactive" in refusal.detail
    assert improvement_problem(improvement, situation="flex-job", employed=True, employed_at_entry=True) is None


def test_no_improvement_and_no_answer_go_with_any_six_month_situation() -> None:
    assert improvement_problem("none", situation="unreachable", employed=False, employed_at_entry=True) is None
    assert improvement_problem(None, situation="inactive", employed=False, employed_at_entry=False) is None


# --- which record counts --------------------------------------------------------------------------------------------


def day(n: int) -> date:
    return LEFT_ON + timedelta(days=n)


def test_job_seeking_on_day_3_then_employed_on_day_20_counts_the_employment() -> None:
    first = judge(day(3), LEAVING, None)
    assert (first.counts, first.late, first.supersedes) == (True, False, None)
    earlier = Counted(uuid4(), day(3))
    second = judge(day(20), LEAVING, earlier)
    assert (second.counts, second.late, second.supersedes) == (True, False, earlier.event_id)


def test_an_observation_earlier_than_the_one_counting_is_kept_but_does_not_count() -> None:
    later = Counted(uuid4(), day(20))
    assert judge(day(3), LEAVING, later) == Judgement(counts=False, late=False, supersedes=None)


@pytest.mark.parametrize("n", [0, 27, 28])
def test_a_leaving_outcome_observed_from_day_0_to_day_28_counts(n: int) -> None:
    assert judge(day(n), LEAVING, None).counts


def test_a_leaving_outcome_observed_on_day_29_is_late_and_does_not_count() -> None:
    found = judge(day(29), LEAVING, Counted(uuid4(), day(3)))
    assert (found.counts, found.late, found.supersedes) == (False, True, None)


def test_a_six_month_result_nine_weeks_late_does_not_count_with_the_default_limit() -> None:
    found = judge(SIX_MONTHS_DUE + timedelta(weeks=9), SIX, None)
    assert (found.counts, found.late) == (False, True)
    assert judge(SIX_MONTHS_DUE + timedelta(weeks=8), SIX, None).counts


def test_a_six_month_result_three_years_late_does_not_count() -> None:
    assert not judge(SIX_MONTHS_DUE + timedelta(days=3 * 365), SIX, None).counts


# --- a drop-out's proposal, and employment ---------------------------------------------------------------------------


def test_a_drop_out_for_a_job_or_education_proposes_the_matching_outcome() -> None:
    assert proposed_outcome("job") == "ordinary-employment"
    assert proposed_outcome("education") == "education"
    assert [proposed_outcome(r) for r in ("illness", "moved", "no-show", "other", None)] == [None] * 5


EMPLOYED_SITUATIONS = {"ordinary-employment", "social-economy-employment", "flex-job", "self-employed"}


@pytest.mark.parametrize("situation", get_args(Situation))
def test_by_default_employment_includes_flex_jobs_but_not_wage_subsidy_jobs(situation: str) -> None:
    assert is_employed(situation) is (situation in EMPLOYED_SITUATIONS)


def test_the_programme_decides_whether_flex_jobs_and_wage_subsidy_jobs_are_employment() -> None:
    assert not is_employed("flex-job", flex_job=False)
    assert is_employed("wage-subsidy-job", wage_subsidy=True)


@pytest.mark.parametrize("situation", ["education", "job-seeking", "inactive", "pension", "unknown", "", "employed"])
def test_other_situations_and_unknown_words_are_not_employment(situation: str) -> None:
    assert is_employed(situation, flex_job=True, wage_subsidy=True) is False


def test_employment_at_entry_is_the_first_entrys_and_until_an_entry_each_referral_states_it() -> None:
    assert employed_at_entry(False, True, entered=True) is False  # a re-referral after the entry changes nothing
    assert employed_at_entry(False, True, entered=False) is True  # withdrew before starting, referred again
    assert employed_at_entry(None, True, entered=True) is True  # the referral came after the exit, across topics
