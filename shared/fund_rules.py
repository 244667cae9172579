"""The fund's rules of counting, pure: four weeks upon leaving, six calendar months, employment, age bands at entry.

Follow-up schedules and judges outcomes by them, reporting counts by them, intake derives the bands at entry by them:
one definition each (DOMAIN.md; Regulation (EU) No 1304/2013 Annex I and 2021/1057 Annex I).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

# The age bands at entry are the fund's, defined beside the rules that derive them (shared.contracts re-exports them).
AgeBand = Literal["under-25", "25-54", "over-54"]  # ESF 2014-20
AgeBandEsfPlus = Literal["under-18", "18-29", "30-54", "55-and-over"]  # ESF+ 2021-27

UPON_LEAVING = timedelta(days=28)  # "upon leaving": within four weeks after the exit date
SIX_MONTHS = 6  # the longer-term result: calendar months after the exit date
EMPLOYED: frozenset[str] = frozenset({"ordinary-employment", "social-economy-employment", "self-employed"})
EMPLOYED_AT_ENTRY: frozenset[str] = frozenset({"employed", "self-employed"})  # labour-market statuses at entry


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 August + 6 months = 28/29 February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def upon_leaving_ends(left_on: date) -> date:
    """The last day an observation still counts as the situation upon leaving."""
    return left_on + UPON_LEAVING


def counts_upon_leaving(left_on: date, observed_on: date) -> bool:
    """True if a situation observed on that day is a result upon leaving (day 0 to day 28 after the exit)."""
    return left_on <= observed_on <= upon_leaving_ends(left_on)


def six_months_after(left_on: date) -> date:
    """When the six-month result falls due."""
    return add_months(left_on, SIX_MONTHS)


def is_employed(situation: str, *, flex_job: bool = True, wage_subsidy: bool = False) -> bool:
    """Employment in the ILO sense, self-employment included; a flex-job or wage-subsidy job as the programme says."""
    return (
        situation in EMPLOYED
        or (situation == "flex-job" and flex_job)
        or (situation == "wage-subsidy-job" and wage_subsidy)
    )


def age_on(born: date, day: date) -> int:
    """Age in whole years on a day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(age: int) -> AgeBand:
    """The ESF 2014-20 age band at entry: below 25, above 54, or between."""
    if age < 25:
        return "under-25"
    return "over-54" if age > 54 else "25-54"


def age_band_esf_plus(age: int) -> AgeBandEsfPlus:
    """The ESF+ 2021-27 age band at entry: below 18, 18-29, 55 and above, or between."""
    if age < 18:
        return "under-18"
    if age < 30:
        return "18-29"
    return "55-and-over" if age >= 55 else "30-54"


def long_term_unemployed(months_unemployed: int, age: int) -> bool:
    """Long-term unemployed: more than 12 months without work, or more than 6 for someone under 25 (the fund's)."""
    return months_unemployed > (6 if age < 25 else 12)


def whole_months_between(earlier: date, later: date) -> int:
    """Whole calendar months from one date to a later one (0 if the later is not a month on)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return max(0, months - (1 if later.day < earlier.day else 0))


def half_year(ending: str) -> tuple[date, date]:
    """A Danish reporting half-year by the month it ends: "2026-02" is 1 Sep 2025 - 28 Feb 2026, "2026-08" 1 Mar -
    31 Aug 2026."""
    year, month = (int(part) for part in ending.split("-"))
    if month == 2:
        return date(year - 1, 9, 1), date(year, 2, calendar.monthrange(year, 2)[1])
    if month == 8:
        return date(year, 3, 1), date(year, 8, 31)
    raise ValueError("a half-year ends in February or August")


# A register's six-month finding against the situation a caseworker recorded: the recorded situations each finding
# agrees with. A finding that cannot tell (self-supporting: no benefit and no wages; out of the register) is
# compared with nothing, nor is a person the caseworker could not reach. A week on "another benefit" may be a cash
# benefit of someone seeking work as well as of someone outside the labour force.
REGISTER_AGREES: dict[str, frozenset[str]] = {
    "employed": frozenset(EMPLOYED),
    "flex-job": frozenset({"flex-job"}),
    "wage-subsidy-job": frozenset({"wage-subsidy-job"}),
    "education": frozenset({"education"}),
    "job-seeking": frozenset({"job-seeking", "wage-subsidy-job"}),  # DREAM's activation codes cover wage subsidy
    "sickness-benefit": frozenset({"inactive"}),
    "disability-pension": frozenset({"inactive"}),
    "other-benefit": frozenset({"inactive", "job-seeking"}),
    "retired": frozenset({"inactive"}),
}


def register_agrees(finding: str, recorded: str) -> bool | None:
    """Whether a caseworker's six-month situation agrees with the register's finding; None if there is no telling."""
    if recorded == "unreachable" or finding not in REGISTER_AGREES:
        return None
    return recorded in REGISTER_AGREES[finding]
