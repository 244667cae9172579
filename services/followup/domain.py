"""Follow-up rules, pure: deadlines from the leaving date, and when an outcome may be recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared import fund_rules
from shared.clock import COPENHAGEN
from shared.contracts import Check
from shared.rejection import Rejection

REMINDER_HOUR = time(8, 0)  # reminders go out at the start of a Danish working day
REPEAT_EVERY = timedelta(days=7)
ESCALATE_AFTER = 3  # the reminder number from which the email says the check is overdue


def due_on(check: Check, left_on: date) -> date:
    """When a check falls due."""
    return fund_rules.upon_leaving_ends(left_on) if check == "leaving-outcome" else fund_rules.six_months_after(left_on)


def first_reminder_at(due: date) -> datetime:
    """The first reminder: the due date's morning in Copenhagen (at once, if that has passed)."""
    return datetime.combine(due, REMINDER_HOUR, tzinfo=COPENHAGEN)


def may_record(
    check: Check, *, left_on: date | None, due: date | None, fulfilled: bool, observed_on: date
) -> Rejection | None:
    """None if the outcome may be recorded now, else the reason."""
    if left_on is None or due is None:
        return Rejection("not-left", "the participant has not left a course, so there is nothing to follow up")
    if fulfilled:
        return Rejection("already-recorded", f"the {check} result is already recorded")
    if observed_on < left_on:
        return Rejection("before-leaving", "the observation date is before the leaving date")
    if check == "six-month" and observed_on < due:
        return Rejection("too-early", f"the six-month check is due on {due.isoformat()}")
    return None


@dataclass(frozen=True)
class ReminderText:
    """A reminder email without any of the citizen's personal data."""

    subject: str
    body: str


def reminder_text(*, check: Check, case_reference: str, due: date, number: int, link: str) -> ReminderText:
    """What the caseworker reads: the case reference, what to record, by when, and where."""
    what = "the outcome upon leaving" if check == "leaving-outcome" else "the six-month follow-up result"
    overdue = number >= ESCALATE_AFTER
    subject = f"{'OVERDUE: ' if overdue else ''}Rummelig {case_reference}: record {what} (due {due.isoformat()})"
    body = (
        f"Case {case_reference} needs {what}.\n"
        f"Due: {due.isoformat()}{' - this is now overdue' if overdue else ''}.\n"
        f"Record it here: {link}\n\n"
        f"Reminder {number}. This email holds no personal data; open the case in Rummelig to see who it concerns.\n"
    )
    return ReminderText(subject, body)
