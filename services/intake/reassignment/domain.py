"""Reassignment's rules, pure: what becomes of each case asked for, and whom the cases may be moved to.

Intake has no directory of staff: a caseworker is known by their token subject (what the caseload filters by) and
their work email (where reminders go). The team lead names both; they are checked against what intake already knows
of that subject from the cases they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from shared.contracts import ReassignmentReason
from shared.rejection import Rejection

Outcome = Literal["moved", "already-theirs", "not-found", "erased"]
REASSIGN = "reassign"  # the audit log's action for one moved case
NOT_A_TEAM_LEAD = Rejection("team-lead-only", "only a team lead moves cases to another caseworker")


@dataclass(frozen=True)
class Caseworker:
    """A caseworker as the token names them: the subject the caseload filters by, the work email reminders go to."""

    subject: str
    email: str


@dataclass(frozen=True)
class Reassignment:
    """What a team lead asked: the cases named (participant ids), or every case of one caseworker; to whom, why."""

    to: Caseworker
    reason: ReassignmentReason
    participant_ids: tuple[UUID, ...] | None = None
    from_caseworker: str | None = None


@dataclass(frozen=True)
class Case:
    """A case of the team lead's municipality as the move finds it: whose it is, and whether it was erased."""

    id: UUID
    case_reference: str
    caseworker_subject: str
    caseworker_email: str
    erased: bool


@dataclass(frozen=True)
class Known:
    """What intake knows of a caseworker from their cases: the work emails on them here, and cases elsewhere."""

    emails_here: frozenset[str]
    cases_elsewhere: bool


def outcome(case: Case | None, to: Caseworker) -> Outcome:
    """What becomes of one case (another municipality's is not found, as a missing one: nothing about it leaks)."""
    if case is None:
        return "not-found"
    if case.erased:
        return "erased"
    if case.caseworker_subject == to.subject:
        return "already-theirs"
    return "moved"


def target_problem(to: Caseworker, known: Known) -> Rejection | None:
    """Why the cases may not go to this caseworker: one of another municipality, or an email not on their cases."""
    # A mistyped email would send every reminder of the moved cases astray; the one on their cases is checked.
    if known.cases_elsewhere:
        return Rejection(
            "caseworker-of-another-municipality",
            "the caseworker named holds cases of another municipality: cases move only within yours",
            "to.subject",
        )
    others = sorted(known.emails_here - {to.email.lower()})
    if others:
        return Rejection(
            "caseworker-email-mismatch",
            f"the caseworker's cases name the work email {others[0]}, not {to.email}",
            "to.email",
        )
    return None


def audit_detail(reassignment_id: UUID, previous_subject: str, to: Caseworker, reason: ReassignmentReason) -> str:
    """The audit entry's detail of one move: from whom, to whom, why, and the request it was part of."""
    detail = f"from {previous_subject} to {to.subject} ({reason}); reassignment {reassignment_id}"
    return detail[:500]  # the column's width: two subjects of 200 characters still fit, with the reason
