"""The catalogue's rules, pure: CVR numbers, periods, extensions, which target number is in force on a date."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from shared.rejection import Rejection

_CVR = re.compile(r"^[1-9]\d{7}$", re.ASCII)
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def valid_cvr(cvr: str) -> bool:
    """A Danish CVR number: eight digits, not starting with 0, whose weighted sum is divisible by 11."""
    if not _CVR.match(cvr):
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included."""

    starts_on: date
    ends_on: date

    def contains(self, other: Period) -> bool:
        """True if the other period lies inside this one."""
        return self.starts_on <= other.starts_on and other.ends_on <= self.ends_on


def period_problem(starts_on: date, ends_on: date, *, field: str = "ends_on") -> Rejection | None:
    """A period must end after it starts."""
    if ends_on < starts_on:
        return Rejection("end-before-start", "the period ends before it starts", field)
    return None


def end_in_force(granted_end: date, extensions: Iterable[date]) -> date:
    """The end of a programme: the granted end, or the latest extension."""
    return max([granted_end, *extensions])


def extension_problem(current_end: date, new_end: date) -> Rejection | None:
    """An extension must move the end later."""
    if new_end <= current_end:
        return Rejection("not-an-extension", f"the programme already runs until {current_end.isoformat()}", "ends_on")
    return None


def inside_programme_problem(programme: Period, inner: Period, what: str) -> Rejection | None:
    """A sub-project must lie inside the programme's period (extensions included)."""
    return _outside(programme, inner, what, "programme")


def inside_subproject_problem(subproject: Period, course: Period) -> Rejection | None:
    """A course must lie inside its sub-project's period."""
    return _outside(subproject, course, "course", "subproject")


def _outside(outer: Period, inner: Period, what: str, within: str) -> Rejection | None:
    if outer.contains(inner):
        return None
    return Rejection(
        f"outside-{within}-period",
        f"the {what} must lie inside the {within.replace('subproject', 'sub-project')}'s period, "
        f"{outer.starts_on.isoformat()} to {outer.ends_on.isoformat()}",
        "starts_on" if inner.starts_on < outer.starts_on else "ends_on",
    )


def course_problem(*, municipality: str, served: Sequence[str], capacity: int, seats_taken: int) -> Rejection | None:
    """A course takes place in a municipality its sub-project serves, and keeps a seat for everyone holding one."""
    if municipality not in served:
        return Rejection(
            "municipality-not-served", f"the sub-project does not serve municipality {municipality}", "municipality"
        )
    if capacity < seats_taken:
        return Rejection(
            "capacity-below-seats-taken",
            f"{seats_taken} participants hold a seat on the course: the capacity cannot be lower",
            "capacity",
        )
    return None


@dataclass(frozen=True)
class Step:
    """A target's number from a date on: the original, or an amendment."""

    number: int
    effective_on: date


def amendment_problem(steps: Sequence[Step], amendment: Step) -> Rejection | None:
    """An amendment takes effect after the number it replaces did."""
    last = steps[-1]
    if amendment.effective_on <= last.effective_on:
        return Rejection(
            "amendment-not-later",
            f"the target's number {last.number} is in force from {last.effective_on.isoformat()}; "
            "an amendment must take effect after that",
            "effective_on",
        )
    return None


def number_in_force(steps: Sequence[Step], on: date) -> int | None:
    """The target's number on a date: the latest step in effect by then; None before the target was set."""
    in_force = [s for s in steps if s.effective_on <= on]
    return max(in_force, key=lambda s: s.effective_on).number if in_force else None


def unknown_problem(kind: str, value: str, field: str) -> Rejection:
    """A reference to something the catalogue does not hold."""
    return Rejection(f"unknown-{kind}", f"there is no {kind.replace('-', ' ')} {value!r} in the catalogue", field)
