"""The web sessions' rows (table page_session, shared.pages.tables): plain SQL, keyed by the hash of the session id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run

_INSERT = text(
    "INSERT INTO page_session (id_hash, claims, csrf_token, created_at, last_seen_at, token_expires_at)"
    " VALUES (:id_hash, CAST(:claims AS jsonb), :csrf, :now, :now, :expires)"
)
# One statement reads a live session and marks it seen: a session idle too long or past its token is not touched.
_TOUCH = text(
    "UPDATE page_session SET last_seen_at = :now"
    " WHERE id_hash = :id_hash AND last_seen_at > :idle_since AND token_expires_at > :now"
    " RETURNING claims, csrf_token, token_expires_at"
)
# The same read without marking the session seen: a page part that asks again by itself is no sign of a person.
_PEEK = text(
    "SELECT claims, csrf_token, token_expires_at FROM page_session"
    " WHERE id_hash = :id_hash AND last_seen_at > :idle_since AND token_expires_at > :now"
)
_DELETE = text("DELETE FROM page_session WHERE id_hash = :id_hash")
_SWEEP = text("DELETE FROM page_session WHERE last_seen_at <= :idle_since OR token_expires_at <= :now")


@dataclass(frozen=True)
class SessionRow:
    """A live web session as stored: the principal's claims, its CSRF token, its token's expiry."""

    claims: dict[str, Any]
    csrf_token: str
    token_expires_at: datetime


async def insert(
    session: AsyncSession, *, id_hash: bytes, claims: dict[str, Any], csrf: str, now: datetime, expires: datetime
) -> None:
    """Store a new web session."""
    params = {"id_hash": id_hash, "claims": json.dumps(claims), "csrf": csrf, "now": now, "expires": expires}
    await run(session, _INSERT, params)


async def touch(session: AsyncSession, *, id_hash: bytes, now: datetime, idle_since: datetime) -> SessionRow | None:
    """The live session with this id hash, marked as seen now; None if there is none or it has ended."""
    row = (await run(session, _TOUCH, {"id_hash": id_hash, "now": now, "idle_since": idle_since})).first()
    return None if row is None else SessionRow(dict(row[0]), str(row[1]), row[2])


async def peek(session: AsyncSession, *, id_hash: bytes, now: datetime, idle_since: datetime) -> SessionRow | None:
    """The live session with this id hash, not marked as seen; None if there is none or it has ended."""
    row = (await run(session, _PEEK, {"id_hash": id_hash, "now": now, "idle_since": idle_since})).first()
    return None if row is None else SessionRow(dict(row[0]), str(row[1]), row[2])


async def delete(session: AsyncSession, *, id_hash: bytes) -> None:
    """End a web session."""
    await run(session, _DELETE, {"id_hash": id_hash})


async def sweep(session: AsyncSession, *, now: datetime, idle_since: datetime) -> None:
    """Remove the sessions that have ended, so that the table holds only live ones."""
    await run(session, _SWEEP, {"now": now, "idle_since": idle_since})
