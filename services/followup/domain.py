"""Follow-up's rules of recording, pure: when a result may be recorded, and whether it counts, is late or is passed.

The fund's rules (DOMAIN.md): upon leaving, within the four weeks the last observation counts and a later record
is kept but never counted; six months after, a result counts from its due date to the programme's limit for late
results; a re-entry's final exit is the one followed up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.followup.schedule import Window
from shared.contracts import Check, DropOutReason, Improvement, Situation
from shared.rejection import Rejection

PROPOSED_BY_DROP_OUT: dict[DropOutReason, Situation] = {"job": "ordinary-employment", "education": "education"}


class CheckStatus(StrEnum):
    """Where a check stands: open (reminded until a result is recorded) or closed (its closed_reason says why)."""

    OPEN = "open"
    CLOSED = "closed"


class NoticeBasis(StrEnum):
    """Why a case's personal data were erased, as its caseworker's notice tells (shared.contracts.ErasureBasis)."""

    REQUEST = "request"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    RETENTION = "retention"


@dataclass(frozen=True)
class Counted:
    """The result that counts now for a check: the fact that recorded it and the day it was observed."""

    event_id: UUID
    observed_on: date


@dataclass(frozen=True)
class Judgement:
    """What a new record is: the one that counts now (replacing another), a late one, or an earlier observation."""

    counts: bool
    late: bool
    supersedes: UUID | None


def employed_at_entry(known: bool | None, referred: bool, *, entered: bool) -> bool:
    """Whether the participant was employed at entry: the first entry's, once there was one (DOMAIN.md: one record,
    entry data from the first entry); until then each referral states it (a citizen who withdrew before starting
    and is referred again enters with the later referral's status)."""
    return known if entered and known is not None else referred


def proposed_outcome(reason: DropOutReason | None) -> Situation | None:
    """The outcome a drop-out's reason proposes (a job: ordinary employment), for the caseworker to confirm."""
    return PROPOSED_BY_DROP_OUT.get(reason) if reason is not None else None


def may_record(
    check: Check,
    *,
    left_on: date | None,
    on_course: bool,
    window: Window | None,
    observed_on: date,
) -> Rejection | None:
    """None if the result may be recorded now, else the reason."""
    if left_on is None or window is None:
        return Rejection("not-left", "the participant has not left a course, so there is nothing to follow up")
    if on_course:
        return Rejection("not-left", "the participant is enrolled on a course again: the final exit is followed up")
    if observed_on < left_on:
        return Rejection("before-leaving", "the observation date is before the leaving date")
    if check == "six-month" and observed_on < window.due_on:
        return Rejection("too-early", f"the six-month result can be recorded from {window.due_on.isoformat()}")
    return None


def improvement_problem(
    improvement: Improvement | None, *, situation: str, employed: bool, employed_at_entry: bool | None
) -> Rejection | None:
    """None if the six-month result may say this about an improved situation (CR07), else the reason.

    CR07 asks only about a participant employed at entry, and counts a move to better work (precarious to stable,
    under- to full employment, a job needing higher skills, a promotion): an improvement is recorded only with a
    situation that is employment (as the programme counts it, like the result's `employed`); "none" goes with any.
    """
    if improvement is None:
        return None
    if employed_at_entry is False:
        return Rejection(
            "improvement-not-asked", "an improved situation is recorded only for a participant employed at entry"
        )
    if improvement != "none" and not employed:
        return Rejection(
            "improvement-without-employment",
            f"an improved situation ({improvement}) is recorded only with a situation that is employment, not"
            f" {situation}: record the improvement as none",
        )
    return None


def judge(observed_on: date, window: Window, counted: Counted | None) -> Judgement:
    """Late after the window; inside it, the latest observation counts (the earlier one stays in the history)."""
    if observed_on > window.counts_until:
        return Judgement(counts=False, late=True, supersedes=None)
    if counted is not None and counted.observed_on > observed_on:
        return Judgement(counts=False, late=False, supersedes=None)
    return Judgement(counts=True, late=False, supersedes=counted.event_id if counted else None)
