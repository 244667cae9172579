"""The CPR number: format, century, legal sex, and never printing the digits (DOMAIN.md, "The CPR number")."""

from __future__ import annotations

from datetime import date

import pytest

from services.intake.cpr import InvalidCpr, century, parse_cpr
from shared.fund_rules import age_on


def test_a_number_with_a_hyphen_gives_the_digits_birth_date_and_sex() -> None:
    cpr = parse_cpr("010190-1235")
    assert cpr.digits == "0101901235"
    assert str(cpr) == "0101901235"
    assert cpr.birth_date == date(1990, 1, 1)
    assert cpr.sex == "male"


def test_a_number_without_a_hyphen_parses_the_same_as_with_one() -> None:
    assert parse_cpr("0101901235") == parse_cpr("010190-1235")


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_cpr("  150670-1233\n").digits == "1506701233"


@pytest.mark.parametrize(
    ("raw", "born"),
    [
        # seventh digit 0-3: always the 1900s
        ("010100-0232", date(1900, 1, 1)),
        ("150637-1234", date(1937, 6, 15)),
        ("311299-2236", date(1999, 12, 31)),
        ("010105-3231", date(1905, 1, 1)),
        # seventh digit 4 and 9: the 2000s if YY <= 36, else the 1900s
        ("010136-4231", date(2036, 1, 1)),
        ("010137-4231", date(1937, 1, 1)),
        ("290200-4230", date(2000, 2, 29)),
        ("010136-9231", date(2036, 1, 1)),
        ("010137-9231", date(1937, 1, 1)),
        ("311299-9231", date(1999, 12, 31)),
        # seventh digit 5-8: the 2000s if YY <= 57, else the 1800s
        ("010157-5231", date(2057, 1, 1)),
        ("010158-5231", date(1858, 1, 1)),
        ("150610-6231", date(2010, 6, 15)),
        ("150699-7231", date(1899, 6, 15)),
        ("010157-8231", date(2057, 1, 1)),
        ("010158-8231", date(1858, 1, 1)),
    ],
)
def test_the_seventh_digit_and_the_year_give_the_century_of_birth(raw: str, born: date) -> None:
    assert parse_cpr(raw).birth_date == born


@pytest.mark.parametrize(
    ("seventh", "yy", "expected"),
    [
        (0, 0, 1900),
        (3, 99, 1900),
        (4, 36, 2000),
        (4, 37, 1900),
        (9, 36, 2000),
        (9, 37, 1900),
        (5, 57, 2000),
        (5, 58, 1800),
        (8, 57, 2000),
        (8, 58, 1800),
    ],
)
def test_century_follows_the_table_at_its_boundaries(seventh: int, yy: int, expected: int) -> None:
    assert century(seventh, yy) == expected


@pytest.mark.parametrize(
    ("raw", "sex"),
    [
        ("010190-1231", "male"),
        ("010190-1233", "male"),
        ("010190-1239", "male"),
        ("010190-1230", "female"),
        ("010190-1234", "female"),
        ("010190-1238", "female"),
    ],
)
def test_the_last_digit_gives_the_legal_sex_odd_male_even_female(raw: str, sex: str) -> None:
    assert parse_cpr(raw).sex == sex


@pytest.mark.parametrize(
    "raw",
    [
        "ABCDEF-1234",
        "0101901a34",
        "010190-123",  # nine digits
        "010190123",
        "010190-12345",  # eleven digits
        "01019012345",
        "310290-1234",  # 31 February
        "300290-1234",  # 30 February
        "290201-1234",  # 29 February in a year that is not a leap year (1901)
        "011390-1234",  # month 13
        "000190-1234",  # day 0
        "",
        "   ",
        "010190--1234",
        "010190 1234",
        "010190-1234'; DROP TABLE participant; --",
        "'; DROP TABLE participant; --",
        "<script>alert(1)</script>",
        "<b>010190-1234</b>",
    ],
)
def test_anything_that_is_not_a_cpr_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidCpr):
        parse_cpr(raw)


def _in_script(ascii_number: str, zero: int) -> str:
    """The same number written with the ten digits of another script, starting at code point `zero`."""
    return ascii_number.translate({ord(str(d)): chr(zero + d) for d in range(10)})


@pytest.mark.parametrize(
    "raw",
    [
        _in_script("010190-1235", 0x0660),  # Arabic-Indic digits
        _in_script("0101901235", 0xFF10),  # full-width digits
        _in_script("010190-1235", 0x0966),  # Devanagari digits
    ],
    ids=["arabic-indic", "full-width", "devanagari"],
)
def test_digits_other_than_ascii_0_to_9_are_refused(raw: str) -> None:
    # Otherwise the same citizen could be registered twice under two different lookup hashes.
    with pytest.raises(InvalidCpr):
        parse_cpr(raw)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidCpr):
        parse_cpr(101901235)  # type: ignore[arg-type]


def test_invalid_cpr_is_a_value_error() -> None:
    assert issubclass(InvalidCpr, ValueError)


@pytest.mark.parametrize("raw", ["010190-1234", "010190-1235", "150670-1230", "311299-9998"])
def test_a_number_failing_the_modulus_11_check_is_accepted(raw: str) -> None:
    digits = raw.replace("-", "")
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 != 0  # the check digit is invalid
    assert parse_cpr(raw).digits == digits


def test_a_number_passing_the_modulus_11_check_is_accepted_too() -> None:
    # 0101901238: 0*4+1*3+0*2+1*7+9*6+0*5+1*4+2*3+3*2+8*1 = 88 = 8 * 11
    assert parse_cpr("010190-1238").birth_date == date(1990, 1, 1)


def test_repr_never_shows_the_digits() -> None:
    cpr = parse_cpr("150670-1233")
    for shown in (repr(cpr), f"{cpr!r}", repr([cpr]), repr({"cpr": cpr})):
        assert "1506701233" not in shown
        assert "150670" not in shown
        assert "1233" not in shown
        assert "redacted" in shown


def test_age_on_the_day_before_the_birthday_is_one_less() -> None:
    born = date(2000, 3, 15)
    assert age_on(born, date(2025, 3, 14)) == 24
    assert age_on(born, date(2025, 3, 15)) == 25
    assert age_on(born, date(2025, 3, 16)) == 25


def test_age_across_the_turn_of_the_year() -> None:
    born = date(1970, 12, 31)
    assert age_on(born, date(2025, 1, 1)) == 54
    assert age_on(born, date(2025, 12, 30)) == 54
    assert age_on(born, date(2025, 12, 31)) == 55


def test_someone_born_on_29_february_turns_a_year_older_on_1_march_in_a_common_year() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2001, 2, 28)) == 0
    assert age_on(born, date(2001, 3, 1)) == 1
    assert age_on(born, date(2004, 2, 29)) == 4


def test_age_on_the_day_of_birth_is_zero() -> None:
    assert age_on(date(2024, 5, 1), date(2024, 5, 1)) == 0
