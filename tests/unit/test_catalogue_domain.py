"""The catalogue's pure rules: CVR numbers, periods and extensions, the target number in force on a date."""

from __future__ import annotations

from datetime import date

import pytest

from services.enrolment.catalogue.domain import (
    Period,
    Step,
    amendment_problem,
    end_in_force,
    extension_problem,
    inside_programme_problem,
    number_in_force,
    period_problem,
    valid_cvr,
)
from services.enrolment.seed import synthetic_cvr

FULLWIDTH = {ord(str(d)): chr(0xFF10 + d) for d in range(10)}  # digits of another script
STEPS = [Step(550, date(2015, 9, 18)), Step(810, date(2019, 3, 1))]


@pytest.mark.parametrize("cvr", ["10150817", "25313763", synthetic_cvr(1), synthetic_cvr(12)])
def test_a_cvr_number_with_a_valid_check_is_accepted(cvr: str) -> None:
    assert valid_cvr(cvr)


@pytest.mark.parametrize(
    "cvr",
    ["1015081", "101508170", "10150818", "01508173", "1015081x", "", "10150817".translate(FULLWIDTH), "10 50817"],
    ids=["7-digits", "9-digits", "bad-check", "leading-zero", "letter", "empty", "fullwidth-digits", "space"],
)
def test_a_cvr_number_that_is_not_eight_checked_ascii_digits_is_refused(cvr: str) -> None:
    assert not valid_cvr(cvr)


@pytest.mark.parametrize(
    ("on", "number"),
    [
        (date(2015, 9, 17), None),
        (date(2015, 9, 18), 550),
        (date(2018, 6, 1), 550),
        (date(2019, 2, 28), 550),
        (date(2019, 3, 1), 810),
        (date(2020, 6, 1), 810),
    ],
)
def test_the_number_in_force_is_the_latest_step_by_that_date(on: date, number: int | None) -> None:
    assert number_in_force(STEPS, on) == number


def test_an_amendment_must_take_effect_after_the_number_it_replaces() -> None:
    problem = amendment_problem(STEPS, Step(900, date(2019, 3, 1)))
    assert problem is not None
    assert (problem.reason, problem.field) == ("amendment-not-later", "effective_on")
    assert amendment_problem(STEPS, Step(900, date(2019, 3, 2))) is None


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    problem = period_problem(date(2020, 1, 2), date(2020, 1, 1))
    assert problem is not None and problem.reason == "end-before-start"
    assert period_problem(date(2020, 1, 1), date(2020, 1, 1)) is None


def test_the_end_in_force_is_the_latest_extension() -> None:
    assert end_in_force(date(2020, 12, 31), []) == date(2020, 12, 31)
    assert end_in_force(date(2020, 12, 31), [date(2021, 12, 31), date(2022, 2, 28)]) == date(2022, 2, 28)


def test_an_extension_must_move_the_end_later() -> None:
    assert extension_problem(date(2021, 12, 31), date(2021, 12, 31)) is not None
    assert extension_problem(date(2021, 12, 31), date(2022, 2, 28)) is None


def test_a_sub_project_must_lie_inside_the_programme() -> None:
    programme = Period(date(2015, 9, 18), date(2022, 2, 28))
    inside = Period(date(2019, 3, 16), date(2020, 9, 30))
    assert inside_programme_problem(programme, inside, "sub-project") is None
    too_early = inside_programme_problem(programme, Period(date(2015, 1, 1), date(2016, 1, 1)), "sub-project")
    too_late = inside_programme_problem(programme, Period(date(2021, 1, 1), date(2022, 3, 1)), "sub-project")
    assert too_early is not None and too_early.field == "starts_on"
    assert too_late is not None and too_late.field == "ends_on"
