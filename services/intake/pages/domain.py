"""The caseworker pages' pure rules: where each person starts, where sign-in leads back to, what a list asks (the
rules every service's pages share are shared.pages.domain's)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from services.intake.domain import Status, wire_name
from shared import contracts, fund_rules

# The caseload's Due (caseload.queries), spelt again: a domain module reads no query module.
Due = Literal["due", "overdue"]
HOME = "/cases"
PROVIDER_HOME = "/provider/courses"
_CASE_REFERENCE = re.compile(r"RUM-[0-9]{6,}")
_CASE_NUMBER = re.compile(r"[0-9]{1,12}")


def home_of(roles: frozenset[str]) -> str:
    """Where someone starts: a caseworker's or team lead's cases, provider staff's courses."""
    return PROVIDER_HOME if "provider-staff" in roles and not roles & {"caseworker", "team-lead"} else HOME


_STEP_POST = re.compile(r"/cases/(RUM-[0-9]{6,})/([a-z-]{1,30})")


def return_path(method: str, path: str, query: str) -> str:
    """Where sign-in leads back to: the page asked for; for a form's post, the page the form is on (a case's form
    opened again, as a post cannot be repeated through sign-in), else the caseworker's cases."""
    if method == "GET":
        return f"{path}?{query}" if query else path
    step = _STEP_POST.fullmatch(path)
    return f"/cases/{step.group(1)}?step={step.group(2)}" if step else HOME


def case_reference(typed: str | None) -> str | None:
    """The case reference a caseworker typed ("RUM-000002", "rum-2", "2"), or None if it is none."""
    cleaned = (typed or "").strip().upper()
    if _CASE_REFERENCE.fullmatch(cleaned):
        return cleaned
    number = cleaned.removeprefix("RUM-")
    return f"RUM-{int(number):06d}" if _CASE_NUMBER.fullmatch(number) else None


@dataclass(frozen=True)
class ListAsked:
    """What "Mine sager" was asked to show; a value not understood is named in errors (by field)."""

    status: Status | None = None
    due: Due | None = None
    case_reference: str | None = None
    page: int = 1
    errors: tuple[str, ...] = ()


def list_asked(*, status: str | None, due: str | None, case_reference_typed: str | None, page: str | None) -> ListAsked:
    """The list's filters from its GET form: an empty field is no filter."""
    errors: list[str] = []
    chosen_status = (status or "").strip() or None
    if chosen_status is not None and chosen_status not in get_args(Status):
        errors.append("status")
        chosen_status = None
    chosen_due = (due or "").strip() or None
    if chosen_due is not None and chosen_due not in get_args(Due):
        errors.append("due")
        chosen_due = None
    reference = None
    if (case_reference_typed or "").strip():
        reference = case_reference(case_reference_typed)
        if reference is None:
            errors.append("case_reference")
    number = int(page) if page and page.isdigit() and 0 < int(page) <= 100_000 else 1
    return ListAsked(chosen_status, chosen_due, reference, number, tuple(errors))  # type: ignore[arg-type]


# The case page's form that records each follow-up check (followup.messages.FORM_OF_CHECK builds the reminder's link
# the same way; the services share no code).
_STEP_OF_CHECK = {"leaving-outcome": "leaving-outcome", "six-month": "six-month-result"}


def step_of_check(check: str | None) -> str | None:
    """The form that records a follow-up check, for a link to open; None for a check without one."""
    return _STEP_OF_CHECK.get(check or "")


RECORDED, OBSERVED = wire_name(contracts.SixMonthResultRecorded), wire_name(contracts.SixMonthResultRegisterObserved)


@dataclass(frozen=True)
class Disagreement:
    """A six-month result the caseworker recorded that the register's finding for the same exit contradicts."""

    case_reference: str
    exit_number: int
    recorded: str
    finding: str
    weeks_from: str
    weeks_to: str


def disagreements(entries: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Disagreement]:
    """From (case reference, wire name, data) in timeline order: each exit's counting record beside the register's
    finding, where the rule (shared.fund_rules.register_agrees) says they disagree; by case reference."""
    recorded: dict[tuple[str, int], str] = {}
    observed: dict[tuple[str, int], Mapping[str, Any]] = {}
    for reference, event_type, data in entries:
        exit_number = data.get("exit_number")
        if exit_number is None:
            continue
        if event_type == RECORDED and data.get("counts"):
            recorded[(reference, int(exit_number))] = str(data["situation"])
        elif event_type == OBSERVED:
            observed[(reference, int(exit_number))] = data
    found = [
        Disagreement(key[0], key[1], recorded[key], str(o["finding"]), str(o["weeks_from"]), str(o["weeks_to"]))
        for key, o in observed.items()
        if key in recorded and fund_rules.register_agrees(str(o["finding"]), recorded[key]) is False
    ]
    return sorted(found, key=lambda d: (len(d.case_reference), d.case_reference, d.exit_number))
