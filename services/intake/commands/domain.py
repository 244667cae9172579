"""The commands' rules, pure: an enrolment's date, how long to wait for an answer, and what to tell the caseworker
about a result that will not count."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from services.intake.domain import LEAVING_OUTCOME_RECORDED, SIX_MONTH_RESULT_RECORDED
from shared.rejection import Rejection


def enrolment_date_problem(enrolled_on: date, *, referred_on: date) -> Rejection | None:
    """A participant cannot be enrolled before they were referred."""
    if enrolled_on < referred_on:
        return Rejection(
            "enrolled-before-referral",
            f"the enrolment date is before the referral date ({referred_on.isoformat()})",
            "enrolled_on",
        )
    return None


RESULT_FACTS = {LEAVING_OUTCOME_RECORDED: "upon leaving", SIX_MONTH_RESULT_RECORDED: "as the six-month result"}


def result_notice(fact_type: str | None, data: dict[str, Any]) -> str | None:
    """Tell the caseworker when a recorded result will not count, and why."""
    counted_as = RESULT_FACTS.get(fact_type or "")
    if counted_as is None or data.get("counts", True):
        return None
    if data.get("late"):
        return f"Recorded late: observed after the last day that counts, so it will not count {counted_as}."
    return f"Recorded: a later observation inside the period already counts {counted_as}; this one is kept as history."


PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])")


def wait_seconds(prefer: str, *, limit: float) -> float:
    """How long to wait for a command's answer: the bound, or less if the client asks `Prefer: wait=N` (RFC 7240)."""
    match = PREFER_WAIT.search(prefer)
    return min(limit, float(match.group(1))) if match else limit
