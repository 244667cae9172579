"""Reporting's rules, pure: what a person counts as, how a count is shown without revealing anyone, and which of a
target's numbers is in force on a date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

COLUMNS = ("referred", "enrolled", "completed", "employed_upon_leaving", "employed_six_months")


class CheckState(StrEnum):
    """Where a follow-up check of the final exit stands, as follow-up's facts say."""

    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"


class Answer(StrEnum):
    """A disadvantage characteristic as the citizen answered it at entry (shared.contracts.Answer)."""

    YES = "yes"
    NO = "no"
    REFUSED = "refused"
    NOT_ASKED = "not-asked"


def counts_for(exit_number: int, *, exits_seen: int, counted: int | None) -> bool:
    """A result counts if it is of the latest exit seen (or a later one, whose fact is on its way), and not older
    than the result already counted."""
    return exit_number >= exits_seen and (counted is None or exit_number >= counted)


@dataclass(frozen=True)
class Step:
    """A target's number from a date on: the original, or an amendment."""

    number: int
    effective_on: date


def number_in_force(steps: Iterable[Step], on: date) -> int | None:
    """The number of the last step in effect on the date, None before the first; of two on one date, the later."""
    in_effect = sorted((s for s in steps if s.effective_on <= on), key=lambda s: s.effective_on)  # stable: list order
    return in_effect[-1].number if in_effect else None


def one_step_a_day(steps: Iterable[Step]) -> list[Step]:
    """The steps as stored, one per date in date order: of two on one date, the later in the list."""
    by_date = {s.effective_on: s for s in steps}
    return [by_date[d] for d in sorted(by_date)]
