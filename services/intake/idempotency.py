"""Idempotency-Key: a request repeated with the same key has one effect, and gets the first answer again.

The key is the client's (RFC draft "The Idempotency-Key HTTP Header Field"), scoped to the user who sent it. The
first request stores what it did in its own transaction: the referral's answer, or the command it issued (whose
answer a repeat then waits for, as the first did). The same key with another request is refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import Header
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import IdempotentRequest
from shared.auth import Principal
from shared.rejection import Refused, Rejection

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        description="a key of the client's choosing: a repeated request with the same key has one effect",
    ),
]


def fingerprint(method: str, path: str, body: Any) -> str:
    """What the request asked, so that a key reused for another request is told apart."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def earlier(
    session: AsyncSession, principal: Principal, key: str | None, request_fingerprint: str
) -> IdempotentRequest | None:
    """The first request made with this key, if any; the same key for another request is refused (422)."""
    if key is None:
        return None
    found = await session.get(IdempotentRequest, (principal.subject, key))
    if found is not None and found.fingerprint != request_fingerprint:
        raise Refused(
            Rejection("idempotency-key-reused", "the Idempotency-Key was used for another request", "Idempotency-Key")
        )
    return found


async def remember(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    request_fingerprint: str,
    *,
    answer: dict[str, Any] | None = None,
    command_id: UUID | None = None,
) -> None:
    """Store what the first request with this key did, in its transaction; a concurrent twin loses the race."""
    if key is None:
        return
    session.add(
        IdempotentRequest(
            subject=principal.subject, key=key, fingerprint=request_fingerprint, answer=answer, command_id=command_id
        )
    )
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Refused(
            Rejection(
                "idempotency-key-in-use", "a request with this Idempotency-Key is being handled", "Idempotency-Key"
            )
        ) from exc
