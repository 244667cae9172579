"""Web sessions' use cases: a session from a verified token, the live session of a cookie, sign-out.

Every function takes the caller's database session and never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.auth import Principal
from shared.pages import store
from shared.pages.domain import Lifetime, session_hash


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who, and the CSRF token its forms carry."""

    principal: Principal
    csrf_token: str


def claims_of(principal: Principal) -> dict[str, Any]:
    """What a web session keeps of the principal: the claims the token carried, nothing more."""
    return {
        "sub": principal.subject,
        "email": principal.email,
        "roles": sorted(principal.roles),
        "municipality": principal.municipality,
        "subprojects": sorted(principal.subprojects),
        "programmes": sorted(principal.programmes),
    }


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal a web session's claims describe."""
    return Principal(
        subject=claims["sub"],
        email=claims["email"],
        roles=frozenset(claims["roles"]),
        municipality=claims["municipality"],
        subprojects=frozenset(claims["subprojects"]),
        programmes=frozenset(claims["programmes"]),
    )


def token_expiry(token: str) -> datetime:
    """The expiry of a token shared.auth.verify_token has already accepted (its signature is not checked again)."""
    raw = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(float(raw["exp"]), UTC)


async def sign_in(
    session: AsyncSession, principal: Principal, *, token_expires: datetime, now: datetime, lifetime: Lifetime
) -> tuple[str, WebSession]:
    """A new web session for the principal: its id (for the cookie only) and the session; ended ones are swept."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await store.sweep(session, now=now, idle_since=now - lifetime.idle)
    await store.insert(
        session,
        id_hash=session_hash(session_id),
        claims=claims_of(principal),
        csrf=csrf,
        now=now,
        expires=token_expires,
    )
    return session_id, WebSession(principal, csrf)


async def live_session(
    session: AsyncSession, session_id: str, *, now: datetime, lifetime: Lifetime, seen: bool = True
) -> WebSession | None:
    """The web session of the cookie, marked as seen now (unless not seen: a page part polling by itself), or None if
    it never was or has ended."""
    read = store.touch if seen else store.peek
    row = await read(session, id_hash=session_hash(session_id), now=now, idle_since=now - lifetime.idle)
    if row is None or not lifetime.live(last_seen=now, token_expires=row.token_expires_at, now=now):
        return None
    return WebSession(principal_of(row.claims), row.csrf_token)


async def sign_out(session: AsyncSession, session_id: str) -> None:
    """End the web session of the cookie."""
    await store.delete(session, id_hash=session_hash(session_id))
