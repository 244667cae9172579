"""The commands' rules, pure: an enrolment's date, how long to wait for an answer, what to tell the caseworker
about a result that will not count, and when a command is sent from an out-of-date view of the case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from services.intake.domain import LEAVING_OUTCOME_RECORDED, SIX_MONTH_RESULT_RECORDED
from services.intake.timeline.domain import VERSION_PATTERN, CaseVersion
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


def result_notice_kind(fact_type: str | None, data: dict[str, Any]) -> Literal["late", "kept"] | None:
    """Why a recorded result will not count (late, or kept as history behind a later one), or None if it counts."""
    if fact_type not in RESULT_FACTS or data.get("counts", True):
        return None
    return "late" if data.get("late") else "kept"


def result_notice(fact_type: str | None, data: dict[str, Any]) -> str | None:
    """Tell the caseworker when a recorded result will not count, and why."""
    kind = result_notice_kind(fact_type, data)
    counted_as = RESULT_FACTS.get(fact_type or "")
    if kind is None:
        return None
    if kind == "late":
        return f"Recorded late: observed after the last day that counts, so it will not count {counted_as}."
    return f"Recorded: a later observation inside the period already counts {counted_as}; this one is kept as history."


PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])")


def wait_seconds(prefer: str, *, limit: float) -> float:
    """How long to wait for a command's answer: the bound, or less if the client asks `Prefer: wait=N` (RFC 7240)."""
    match = PREFER_WAIT.search(prefer)
    return min(limit, float(match.group(1))) if match else limit


IF_MATCH_PATTERN = rf'^\s*(?:\*|"?{VERSION_PATTERN}"?(?:\s*,\s*"?{VERSION_PATTERN}"?)*)\s*$'


def versions_asked(if_match: str | None) -> tuple[CaseVersion, ...] | None:
    """The versions an If-Match header names, or None when it asks for no check (absent, or `*`: any version)."""
    if if_match is None or if_match.strip() == "*":
        return None
    versions = tuple(CaseVersion.parse(tag) for tag in if_match.split(","))
    if not versions or None in versions:
        raise ValueError(f"If-Match names no version of a case: {if_match!r}")
    return tuple(v for v in versions if v is not None)


def out_of_date(asked: tuple[CaseVersion, ...] | None, current: CaseVersion) -> bool:
    """A command sent from a view of the case other than the current one is refused (no check without a version)."""
    return asked is not None and current not in asked


@dataclass(frozen=True)
class Issuer:
    """Who made a change, as a colleague on the case may see them: their user id (or the case's email for its
    responsible caseworker) and the roles they held; never anything about the citizen."""

    name: str
    role: str | None


@dataclass(frozen=True)
class Change:
    """One change to a case since a version: a fact (and who issued the command it answers), or a command issued."""

    kind: str
    at: datetime
    by: Issuer | None
    status: str  # "recorded" for a fact; a command's status otherwise
    command_id: UUID | None = None


def changes_since(facts: list[Change], commands: list[Change]) -> list[Change]:
    """The facts and commands since a version, in time order; a command its own fact answers is named once, by it."""
    answered = {fact.command_id for fact in facts if fact.command_id is not None}
    unanswered = [command for command in commands if command.command_id not in answered]
    return sorted([*facts, *unanswered], key=lambda change: change.at)


def issuer(issued_by: str, role: str | None, *, responsible_subject: str, responsible_email: str) -> Issuer:
    """Name the issuer as the case names people: the responsible caseworker by the email the caseload shows."""
    return Issuer(responsible_email if issued_by == responsible_subject else issued_by, role)


def conflict_detail(asked: tuple[CaseVersion, ...], changes: list[Change]) -> str:
    """What the caseworker is told: the case changed since the version they saw, and how."""
    named = "; ".join(f"{c.kind} ({c.status}) at {c.at.isoformat(timespec='seconds')} by {_who(c.by)}" for c in changes)
    seen = ", ".join(str(version) for version in asked)
    if not named:  # nothing came after it: a version the case never had (made up, or of another case)
        return f"the case is not at version {seen}, nor was it ever; reload it and try again"
    return f"the case changed since version {seen}: {named}; reload it and try again"


def _who(by: Issuer | None) -> str:
    return f"{by.name} ({by.role or 'role not recorded'})" if by else "no one recorded"
