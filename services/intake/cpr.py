"""The Danish CPR number: format, date of birth, century and legal sex. Modulus 11 is deliberately not checked.

Since 2007 numbers without a valid modulus-11 check digit are issued, so a failing check proves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$", re.ASCII)  # ASCII: "\d" alone accepts any script's digits


class InvalidCpr(ValueError):
    """Not a CPR number."""


@dataclass(frozen=True)
class Cpr:
    """A validated CPR number; str() gives the ten digits without hyphen."""

    digits: str
    birth_date: date
    sex: Literal["female", "male"]

    def __str__(self) -> str:
        return self.digits

    def __repr__(self) -> str:  # never print the number itself, not even in a traceback
        return "Cpr(<redacted>)"


def century(seventh_digit: int, yy: int) -> int:
    """The century of birth from the seventh digit and the two-digit year (DOMAIN.md)."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def parse_cpr(raw: str) -> Cpr:
    """Validate DDMMYY-SSSS (hyphen optional) and derive birth date and sex, or raise InvalidCpr."""
    match = _CPR.match(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise InvalidCpr("a CPR number is ten digits, DDMMYY-SSSS, the hyphen optional")
    dd, mm, yy, seventh, rest = match.groups()
    year = century(int(seventh), int(yy)) + int(yy)
    try:
        born = date(year, int(mm), int(dd))
    except ValueError as exc:
        raise InvalidCpr("the first six digits are not a date of birth") from exc
    digits = f"{dd}{mm}{yy}{seventh}{rest}"
    return Cpr(digits=digits, birth_date=born, sex="male" if int(digits[-1]) % 2 else "female")
