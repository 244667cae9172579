"""Personal data's rules, pure: when consent can be withdrawn, when the data resting on it are erased, and a note
that never names the citizen it erases."""

from __future__ import annotations

import re
from datetime import date, timedelta

from shared.rejection import Rejection

WORD = r"[^\W\d_]+"  # a run of letters, in any script


def consent_withdrawal_problem(
    *, legal_basis: str, given_on: date | None, already_withdrawn_on: date | None, withdrawn_on: date
) -> Rejection | None:
    """Consent can be withdrawn once, when it is what the data rest on, and not before it was given."""
    if legal_basis != "consent":
        return Rejection("not-on-consent", "the data rest on a public authority's task, not on consent")
    if already_withdrawn_on is not None:
        return Rejection("already-withdrawn", f"consent was withdrawn on {already_withdrawn_on.isoformat()}")
    if given_on is not None and withdrawn_on < given_on:
        return Rejection("before-consent", "the withdrawal is dated before the consent was given", "withdrawn_on")
    return None


def consent_erasure_due_on(
    *, legal_basis: str, withdrawn_on: date | None, erased_on: date | None, days: int
) -> date | None:
    """When the personal data will be erased because the consent they rest on was withdrawn; None if they will not."""
    if legal_basis != "consent" or withdrawn_on is None or erased_on is not None:
        return None
    return withdrawn_on + timedelta(days=days)


def erasure_note_problem(note: str, *, cpr_digits: str, name: str) -> Rejection | None:
    """An erasure's note is kept: it must not name the citizen whose data it erases (their CPR number or a name)."""
    words = {word.casefold() for word in re.findall(WORD, note)}
    digits = "".join(c for c in note if c.isdigit())
    named = any(len(part) >= 3 and part.casefold() in words for part in re.findall(WORD, name))
    if cpr_digits in digits or named:
        return Rejection(
            "note-names-the-citizen", "the note must not name the citizen or give their CPR number", "note"
        )
    return None
