"""Reporting's rules, pure: what a person counts as, and how a count is shown without revealing anyone."""

from __future__ import annotations

from dataclasses import dataclass

from shared import fund_rules
from shared.contracts import LeavingOutcomeRecorded, SixMonthResultRecorded

COLUMNS = ("referred", "enrolled", "completed", "employed_upon_leaving", "employed_six_months")


def employed_upon_leaving(fact: LeavingOutcomeRecorded) -> bool:
    """Employed upon leaving counts only if the situation was observed within four weeks of the exit."""
    return fact.employed and fund_rules.counts_upon_leaving(fact.left_on, fact.observed_on)


def employed_six_months_after(fact: SixMonthResultRecorded) -> bool:
    """Employed six months after leaving."""
    return fact.employed


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, or '<N' when it could identify a person."""

    value: int | str
    suppressed: bool


def suppress(count: int, min_cell: int) -> Cell:
    """The Danish rule: a count from 1 to min_cell-1 is shown as '<min_cell'; zero is shown."""
    if 0 < count < min_cell:
        return Cell(f"<{min_cell}", True)
    return Cell(count, False)
