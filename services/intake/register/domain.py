"""A DREAM-style extract's rules: its header, its rows, and the finding read around a six-month date.

The layout researchers receive: one row per person keyed by CPR number; a column `y_YYWW` per ISO week holding that
week's benefit code (blank: no public benefit); per month `grad_YYYY_MM` (employment degree) and `branche_YYYY_MM`
(industry). The finding for a six-month date reads the four ISO weeks ending with the week that holds it, and the
employment degree of its month (docs/decisions.md, "Issue 23").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.intake.cpr import InvalidCpr, parse_cpr
from services.intake.domain import wire_name
from services.intake.register.codes import finding_of_code, is_known
from shared.contracts import CheckClosed, CheckScheduled, RegisterFinding, SixMonthSituation

CPR_COLUMN = "cpr"
WINDOW_WEEKS = 4  # the weeks read, the last one holding the six-month date
_WEEK = re.compile(r"^y_(\d{2})(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(grad|branche)_(\d{4})_(\d{2})$", re.ASCII)
# A field may be blank, and may have spaces around it. _UNIT separates a kind's fields joined for one match.
_UNIT = "\x1f"
_SPACE = "[ \\t]*"
_CODE_TEXT = rf"{_SPACE}(?:\d{{3}})?{_SPACE}"
_INDUSTRY_TEXT = rf"{_SPACE}(?:[0-9A-Za-z]{{1,6}})?{_SPACE}"
_DEGREE_TEXT = rf"{_SPACE}(?:100(?:[.,]0+)?|\d{{1,2}}(?:[.,]\d+)?)?{_SPACE}"  # 0 to 100, a decimal comma or point
_CODE, _CODES = re.compile(_CODE_TEXT, re.ASCII), re.compile(rf"(?:{_CODE_TEXT}{_UNIT})*{_CODE_TEXT}", re.ASCII)
_INDUSTRY = re.compile(_INDUSTRY_TEXT, re.ASCII)
_INDUSTRIES = re.compile(rf"(?:(?:{_INDUSTRY_TEXT}{_UNIT})*{_INDUSTRY_TEXT})?", re.ASCII)
_DEGREE = re.compile(_DEGREE_TEXT, re.ASCII)
_DEGREES = re.compile(rf"(?:(?:{_DEGREE_TEXT}{_UNIT})*{_DEGREE_TEXT})?", re.ASCII)
SCHEDULED, CLOSED = wire_name(CheckScheduled), wire_name(CheckClosed)
_FIRST_DREAM_YEAR = 1991  # DREAM's weeks start in 1991: y_91WW..y_99WW are the 1990s, the rest this century

# What each finding counts as among the fund's six-month situations; None: the register cannot tell
COUNTS_AS: dict[RegisterFinding, SixMonthSituation | None] = {
    "employed": "ordinary-employment",
    "self-supporting": None,  # no benefit and no wage: self-employed, supported by a partner, abroad...
    "flex-job": "flex-job",
    "wage-subsidy-job": "wage-subsidy-job",
    "education": "education",
    "job-seeking": "job-seeking",
    "sickness-benefit": "inactive",
    "disability-pension": "inactive",
    "other-benefit": "inactive",
    "retired": "inactive",
    "left-the-register": None,
}


class ExtractRefused(ValueError):
    """The extract cannot be imported: a problem code, a message naming where, and nothing of the file's content."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week."""

    year: int
    week: int

    @property
    def monday(self) -> date:
        """Its first day."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        """Its last day."""
        return date.fromisocalendar(self.year, self.week, 7)

    @classmethod
    def of(cls, day: date) -> Week:
        """The ISO week holding a day."""
        year, week, _ = day.isocalendar()
        return cls(year, week)

    def back(self, weeks: int) -> Week:
        """The week so many weeks earlier."""
        return Week.of(self.monday - timedelta(weeks=weeks))


@dataclass(frozen=True)
class Layout:
    """The header understood: where the CPR number, each week's code and each month's employment degree are."""

    columns: int
    cpr: int
    weeks: dict[Week, int]
    degrees: dict[str, int]  # "YYYY-MM" -> column
    industries: dict[str, int]

    @property
    def last_week(self) -> Week:
        """The extract's last week: how far the register reached."""
        return max(self.weeks)


def read_header(names: Sequence[str]) -> Layout:
    """Understand the header row, or refuse it naming the column at fault."""
    cpr: int | None = None
    weeks: dict[Week, int] = {}
    degrees: dict[str, int] = {}
    industries: dict[str, int] = {}
    seen: set[str] = set()
    for index, raw in enumerate(names):
        name = raw.strip().lower()
        where = f"column {index + 1}"
        if name in seen:
            raise ExtractRefused("wrong-header", f"{where}: {name!r} appears twice")
        seen.add(name)
        if name == CPR_COLUMN:
            cpr = index
        elif week := _WEEK.match(name):
            weeks[_week(int(week[1]), int(week[2]), where, name)] = index
        elif month := _MONTH.match(name):
            year, number = int(month[2]), int(month[3])
            if not 1 <= number <= 12 or year < _FIRST_DREAM_YEAR:
                raise ExtractRefused("wrong-header", f"{where}: {name!r} is not a month")
            (degrees if month[1] == "grad" else industries)[f"{year:04d}-{number:02d}"] = index
        else:
            raise ExtractRefused(
                "wrong-header",
                f"{where}: {_shown(name)} is not a DREAM column (cpr, y_YYWW, grad_YYYY_MM or branche_YYYY_MM)",
            )
    if cpr is None:
        raise ExtractRefused("wrong-header", "the header has no 'cpr' column")
    if not weeks:
        raise ExtractRefused("wrong-header", "the header has no week column (y_YYWW)")
    return Layout(len(names), cpr, weeks, degrees, industries)


def _week(yy: int, ww: int, where: str, name: str) -> Week:
    year = (1900 if yy >= _FIRST_DREAM_YEAR % 100 else 2000) + yy
    try:
        date.fromisocalendar(year, ww, 1)
    except ValueError as exc:
        raise ExtractRefused("wrong-header", f"{where}: {name!r} is not a week: {year} has no ISO week {ww}") from exc
    return Week(year, ww)


def _shown(name: str) -> str:
    """A column name as an error may show it: short, and only if it cannot be a CPR number."""
    return repr(name[:40]) if not re.search(r"\d{6}", name) else "a column"


@dataclass(frozen=True)
class Person:
    """One valid row: the CPR digits (kept in memory only), each week's code and each month's degree."""

    cpr: str
    codes: dict[Week, str]  # blank weeks left out
    degrees: dict[str, Decimal]


def check_row(layout: Layout, fields: Sequence[str], number: int, *, today: date) -> str:
    """Validate one data row (number counts the data rows from 1) and give its CPR digits, or refuse it without
    repeating its content. Builds nothing: a whole extract is checked before a row is applied, most rows are of
    people referred nowhere, and only a matched person's row is read in full (read_row)."""
    where = f"row {number}"
    if len(fields) != layout.columns:
        raise ExtractRefused("malformed-row", f"{where} has {len(fields)} fields where the header has {layout.columns}")
    try:
        cpr = parse_cpr(fields[layout.cpr])
    except InvalidCpr as exc:
        raise ExtractRefused("invalid-cpr", f"{where}: the CPR number is not valid ({exc})") from None
    if cpr.birth_date > today:
        raise ExtractRefused(
            "invalid-cpr", f"{where}: the CPR number's century digit gives a date of birth in the future"
        )
    # one match over a kind's fields joined (a field cannot hold the separator: it is a control character the CSV
    # reader keeps, and no pattern accepts it); the fields one by one only to name the one at fault
    codes = [fields[c] for c in layout.weeks.values()]
    if not _plain_codes(codes) and not _CODES.fullmatch(_UNIT.join(codes)):
        for week, column in layout.weeks.items():
            if not _CODE.fullmatch(fields[column]):
                raise ExtractRefused(
                    "invalid-code",
                    f"{where}, week {week.year}-W{week.week:02d}: a benefit code is three digits or blank",
                )
    if not _DEGREES.fullmatch(_UNIT.join([fields[c] for c in layout.degrees.values()])):
        for month, column in layout.degrees.items():
            if not _DEGREE.fullmatch(fields[column]):
                raise ExtractRefused(
                    "invalid-degree", f"{where}, grad_{month.replace('-', '_')}: not a degree of 0 to 100"
                )
    if not _INDUSTRIES.fullmatch(_UNIT.join([fields[c] for c in layout.industries.values()])):
        for month, column in layout.industries.items():
            if not _INDUSTRY.fullmatch(fields[column]):
                column_name = f"branche_{month.replace('-', '_')}"
                raise ExtractRefused("invalid-industry", f"{where}, {column_name}: not an industry code")
    return cpr.digits


def _plain_codes(codes: list[str]) -> bool:
    """Every code three ASCII digits or empty, the common case, told in a few C calls rather than a pattern."""
    joined = "".join(codes)
    return (not joined or (joined.isascii() and joined.isdigit())) and set(map(len, codes)) <= {0, 3}


def cpr_digits(layout: Layout, fields: Sequence[str]) -> str:
    """The ten digits of a checked row's CPR number."""
    return fields[layout.cpr].strip().replace("-", "")


def read_row(layout: Layout, fields: Sequence[str], number: int, *, today: date) -> Person:
    """A row validated (check_row) and read: its CPR digits, each week's code and each month's degree."""
    digits = check_row(layout, fields, number, today=today)
    codes = {week: code for week, column in layout.weeks.items() if (code := fields[column].strip())}
    degrees = {
        month: Decimal(value.replace(",", "."))
        for month, column in layout.degrees.items()
        if (value := fields[column].strip())
    }
    return Person(digits, codes, degrees)


@dataclass(frozen=True)
class Finding:
    """What the register shows around a six-month date, and the weeks and month read."""

    finding: RegisterFinding
    situation: SixMonthSituation | None
    weeks_from: date
    weeks_to: date
    month: str
    unknown_codes: int


def window(due_on: date) -> list[Week]:
    """The weeks read for a six-month date: the four ending with the week that holds it."""
    last = Week.of(due_on)
    return [last.back(n) for n in range(WINDOW_WEEKS - 1, -1, -1)]


def covers(layout: Layout, due_on: date) -> bool:
    """Whether the extract holds every week read for the date and the employment degree of its month."""
    return all(week in layout.weeks for week in window(due_on)) and f"{due_on:%Y-%m}" in layout.degrees


def find(person: Person, due_on: date) -> Finding:
    """The finding for a six-month date: the most frequent kind of week among the four read (a tie goes to the later
    week); with no benefit, employed if the month's employment degree is above 0, else self-supporting."""
    weeks = window(due_on)
    kinds = [finding_of_code(person.codes[week]) if week in person.codes else None for week in weeks]
    tally = Counter(kinds)
    most = max(tally.values())
    kind = next(k for k in reversed(kinds) if tally[k] == most)
    month = f"{due_on:%Y-%m}"
    if kind is None:
        kind = "employed" if person.degrees.get(month, Decimal(0)) > 0 else "self-supporting"
    unknown = sum(1 for week in weeks if week in person.codes and not is_known(person.codes[week]))
    return Finding(kind, COUNTS_AS[kind], weeks[0].monday, weeks[-1].sunday, month, unknown)


# A six-month check closed for these reasons was superseded: no result is asked for that exit any more.
SUPERSEDED = frozenset({"left-again", "re-enrolled", "withdrawn", "erased"})


@dataclass(frozen=True)
class DueCheck:
    """A participant's six-month check as the timeline last set it."""

    participant_id: UUID
    exit_number: int
    left_on: date
    due_on: date


def six_month_checks(entries: Iterable[tuple[UUID, str, dict[str, Any]]]) -> list[DueCheck]:
    """Each exit's six-month check from the timeline's facts in order (participant, wire name, data): the latest
    scheduling counts; one closed as superseded is dropped. A v1 scheduling, which names no exit, is left out."""
    checks: dict[tuple[UUID, int], DueCheck | None] = {}
    for participant_id, event_type, data in entries:
        if data.get("check") != "six-month" or data.get("exit_number") is None:
            continue
        key = (participant_id, int(data["exit_number"]))
        if event_type == SCHEDULED:
            checks[key] = DueCheck(
                participant_id, key[1], date.fromisoformat(data["left_on"]), date.fromisoformat(data["due_on"])
            )
        elif event_type == CLOSED and data.get("reason") in SUPERSEDED:
            checks[key] = None
    return [check for check in checks.values() if check is not None]


def observable(check: DueCheck, layout: Layout, today: date) -> bool:
    """A check the extract can answer: fallen due, and every week and month read within the extract."""
    return check.due_on <= today and covers(layout, check.due_on)
