"""When each check is asked for, repeated, escalated and given up, pure: Danish working mornings in Europe/Copenhagen.

A check's steps follow from its exit date alone, so a moved leaving date or a replica computes the same times. The
outcome upon leaving is asked for while it can still count: on day 14 after leaving and again on day 24, escalated
on day 26, given up after day 28. The six-month result: on its due date and 7 days later, escalated 14 days after
it fell due, given up once the programme's limit for late results has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from shared import fund_rules
from shared.clock import COPENHAGEN
from shared.contracts import Check

StepKind = Literal["reminder", "overdue", "lapse"]
MORNING = time(8, 0)  # reminders go out at the start of a Danish working day
LEAVING_REMINDER_DAYS = (14, 24)  # after leaving: both while a record still counts (day 28 is the last)
LEAVING_OVERDUE_DAY = 26  # two days left to record something that counts
SIX_MONTH_REPEAT = timedelta(days=7)
SIX_MONTH_OVERDUE = timedelta(days=14)
DEFAULT_LATE_RESULT_DAYS = 56  # the fund's default limit for a late six-month result: 8 weeks
ESCALATION_GRACE = timedelta(days=2)  # after a reminder sent late, before the coordinator hears of the case


@dataclass(frozen=True)
class Step:
    """One thing to do about a check on a day: remind the caseworker, tell the coordinator, or give up."""

    kind: StepKind
    on: date

    @property
    def at(self) -> datetime:
        """The step's moment: 08:00 in Copenhagen that day, whichever offset the clocks have then."""
        return morning_of(self.on)


@dataclass(frozen=True)
class Window:
    """When a check is asked for (due_on) and the last day a result still counts."""

    due_on: date
    counts_until: date


def morning_of(day: date) -> datetime:
    """08:00 on that day in Copenhagen, as an aware datetime (UTC+1 in winter, UTC+2 in summer)."""
    return datetime.combine(day, MORNING, tzinfo=COPENHAGEN).astimezone(UTC)


def window(check: Check, left_on: date, late_result_days: int = DEFAULT_LATE_RESULT_DAYS) -> Window:
    """The check's due date and its last counting day."""
    if check == "leaving-outcome":
        return Window(left_on + timedelta(days=LEAVING_REMINDER_DAYS[0]), fund_rules.upon_leaving_ends(left_on))
    due = fund_rules.six_months_after(left_on)
    return Window(due, due + timedelta(days=late_result_days))


def steps(check: Check, left_on: date, late_result_days: int = DEFAULT_LATE_RESULT_DAYS) -> tuple[Step, ...]:
    """Every step of a check in order, the last one giving it up the day after its last counting day."""
    w = window(check, left_on, late_result_days)
    if check == "leaving-outcome":
        planned = [
            *(Step("reminder", left_on + timedelta(days=d)) for d in LEAVING_REMINDER_DAYS),
            Step("overdue", left_on + timedelta(days=LEAVING_OVERDUE_DAY)),
        ]
    else:
        planned = [
            Step("reminder", w.due_on),
            Step("reminder", w.due_on + SIX_MONTH_REPEAT),
            Step("overdue", w.due_on + SIX_MONTH_OVERDUE),
        ]
    lapse = Step("lapse", w.counts_until + timedelta(days=1))
    return (*(s for s in planned if s.on < lapse.on), lapse)


def reminders_after(planned: tuple[Step, ...], index: int) -> int:
    """How many reminders a check's schedule holds after step `index` (the "of N" in an email counts them too)."""
    return sum(1 for s in planned[index + 1 :] if s.kind == "reminder")


def step_due(planned: tuple[Step, ...], after: int, now: datetime) -> int | None:
    """The index of the step to take now, from index `after` on, or None if none is due yet.

    Steps that were missed (a process was down, or a case was loaded from an earlier year) are not caught up one by
    one: only the latest due one is taken, so nobody gets three reminders at once or one for a check long given up.
    An escalation is never the first thing to happen, though: the caseworker is reminded once before it.
    """
    due = [i for i in range(after, len(planned)) if planned[i].at <= now]
    if not due:
        return None
    latest = due[-1]
    if planned[latest].kind == "overdue":
        missed = [i for i in due if planned[i].kind == "reminder"]
        reminded_before = any(planned[i].kind == "reminder" for i in range(after))
        if missed and not reminded_before:
            return missed[-1]
    return latest


def next_moment(
    planned: tuple[Step, ...], index: int, now: datetime, grace: timedelta = ESCALATION_GRACE
) -> datetime | None:
    """When the step after `index` is due; an escalation leaves the caseworker `grace` (two days) after a late
    reminder."""
    if index + 1 >= len(planned):
        return None
    following = planned[index + 1]
    if following.kind == "overdue" and planned[index].kind == "reminder":
        return max(following.at, now + grace)
    return following.at
