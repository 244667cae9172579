"""The pages' pure rules every service shares: the security headers, where a sign-in may lead, when a web session
ends, the page's language.

No I/O and no clock: the time is passed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
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


class SignInFirst(Exception):
    """No live web session: the browser goes to sign-in, and back to next afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Exception):
    """A page answered as a problem page: its status, the words that explain it, the session if any."""

    def __init__(self, status: int, kind: str, *, web: object | None = None) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind
        self.web = web  # so that the page still offers sign-out


def local_path(asked: str | None, home: str) -> str:
    """Where to go after sign-in: a path of this site only, else home (no open redirect)."""
    if not asked or not asked.startswith("/") or asked.startswith(("//", "/\\")):
        return home
    if any(ch in asked for ch in "\\\r\n\t") or any(ord(ch) < 0x20 for ch in asked):
        return home  # a browser may read a backslash as a slash, and a control character ends a header
    return asked


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


def pages_of(total: int, page_size: int) -> int:
    """How many pages a list of total items fills (one, even when empty)."""
    return max(1, -(-total // page_size))


_DANISH_DATE = re.compile(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})", re.ASCII)


def iso_date(typed: str) -> str:
    """A date as a Dane types it where a browser shows a plain text box (5.12.2026, 05-12-2026, 5/12/2026) as the API
    takes it (2026-12-05); anything else as typed, for the API's schema to name."""
    found = _DANISH_DATE.fullmatch(typed.strip())
    if found is None:
        return typed
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return typed
