"""Which of a target's numbers is in force on a date: the original, then each amendment from its date on."""

from __future__ import annotations

from datetime import date

from services.reporting.domain import Step, number_in_force, one_step_a_day

ORIGINAL = Step(550, date(2017, 9, 1))
AMENDED = Step(810, date(2019, 3, 1))


def test_before_the_first_step_no_number_is_in_force() -> None:
    assert number_in_force([ORIGINAL, AMENDED], date(2017, 8, 31)) is None


def test_the_original_number_is_in_force_until_the_amendment_takes_effect() -> None:
    assert number_in_force([ORIGINAL, AMENDED], date(2017, 9, 1)) == 550
    assert number_in_force([ORIGINAL, AMENDED], date(2018, 6, 1)) == 550
    assert number_in_force([ORIGINAL, AMENDED], date(2019, 2, 28)) == 550


def test_the_amendment_is_in_force_from_its_date_on() -> None:
    assert number_in_force([ORIGINAL, AMENDED], date(2019, 3, 1)) == 810
    assert number_in_force([ORIGINAL, AMENDED], date(2020, 6, 1)) == 810


def test_the_order_of_the_steps_does_not_matter_only_their_dates() -> None:
    assert number_in_force([AMENDED, ORIGINAL], date(2018, 6, 1)) == 550
    assert number_in_force([AMENDED, ORIGINAL], date(2020, 6, 1)) == 810


def test_no_steps_no_number() -> None:
    assert number_in_force([], date(2020, 6, 1)) is None


def test_of_two_steps_on_one_date_the_later_in_the_list_is_in_force() -> None:
    same_day = Step(600, ORIGINAL.effective_on)
    assert number_in_force([ORIGINAL, same_day], date(2018, 6, 1)) == 600
    assert one_step_a_day([AMENDED, ORIGINAL, same_day]) == [same_day, AMENDED]
