"""The pages' pure rules: where a sign-in may lead, when a web session ends, who may open a page, what a list asks.

No I/O and no clock: the time is passed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from services.intake.domain import Status

Language = Literal["da", "en"]
# The caseload's Due (caseload.queries), spelt again: a domain module reads no query module.
Due = Literal["due", "overdue"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
HOME = "/cases"
PROVIDER_HOME = "/provider/courses"
# Every page response says these: a shared municipal PC keeps no copy, no other site learns a case reference from a
# Referer, no page runs inline script or style or sits in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_CASE_REFERENCE = re.compile(r"RUM-[0-9]{6,}")
_CASE_NUMBER = re.compile(r"[0-9]{1,12}")


class SignInFirst(Exception):
    """No live web session: the browser goes to sign-in, and back to next afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Exception):
    """A page answered as a problem page: its status, the words that explain it (texts.py), the session if any."""

    def __init__(self, status: int, kind: str, *, web: object | None = None) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind
        self.web = web  # so that the page still offers sign-out


def home_of(roles: frozenset[str]) -> str:
    """Where someone starts: a caseworker's or team lead's cases, provider staff's courses."""
    return PROVIDER_HOME if "provider-staff" in roles and not roles & {"caseworker", "team-lead"} else HOME


def local_path(asked: str | None) -> str:
    """Where to go after sign-in: a path of this site only, else the caseworker's cases (no open redirect)."""
    if not asked or not asked.startswith("/") or asked.startswith(("//", "/\\")):
        return HOME
    if any(ch in asked for ch in "\\\r\n\t") or any(ord(ch) < 0x20 for ch in asked):
        return HOME  # a browser may read a backslash as a slash, and a control character ends a header
    return asked


_STEP_POST = re.compile(r"/cases/(RUM-[0-9]{6,})/([a-z-]{1,30})")


def return_path(method: str, path: str, query: str) -> str:
    """Where sign-in leads back to: the page asked for; for a form's post, the page the form is on (a case's form
    opened again, as a post cannot be repeated through sign-in), else the caseworker's cases."""
    if method == "GET":
        return f"{path}?{query}" if query else path
    step = _STEP_POST.fullmatch(path)
    return f"/cases/{step.group(1)}?step={step.group(2)}" if step else HOME


def session_hash(session_id: str) -> bytes:
    """The session id as stored: a leaked table must not sign anybody in."""
    return hashlib.sha256(session_id.encode()).digest()


@dataclass(frozen=True)
class Lifetime:
    """When a web session ends: after idle time without a request, and never after its token's expiry."""

    idle: timedelta

    def live(self, *, last_seen: datetime, token_expires: datetime, now: datetime) -> bool:
        """True while the session may still be used."""
        return now - last_seen < self.idle and now < token_expires


def secure_request(scheme: str, forwarded_proto: str | None) -> bool:
    """Whether the browser reached us over TLS: directly, or through a proxy that says so."""
    first = (forwarded_proto or "").split(",")[0].strip().lower()
    return scheme == "https" or first == "https"


def language(asked: str | None, remembered: str | None) -> Language:
    """The page's language: the one asked for now, else the one remembered, else Danish."""
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return choice
    return "da"


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


def pages_of(total: int, page_size: int) -> int:
    """How many pages a list of total items fills (one, even when empty)."""
    return max(1, -(-total // page_size))


# The case page's form that records each follow-up check (followup.messages.FORM_OF_CHECK builds the reminder's link
# the same way; the services share no code).
_STEP_OF_CHECK = {"leaving-outcome": "leaving-outcome", "six-month": "six-month-result"}


def step_of_check(check: str | None) -> str | None:
    """The form that records a follow-up check, for a link to open; None for a check without one."""
    return _STEP_OF_CHECK.get(check or "")
